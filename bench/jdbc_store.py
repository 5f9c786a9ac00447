"""Benchmark of the jdbc family: ``fetchType: STORE`` of 1,000,000 rows into an ION file through the
real ``postgresql.Query`` and ``duckdb.Query`` tasks, each on its own ``kestra-stream server local``
(its worker runs the task), with the peak RSS of that server process (worker, executor and webserver
together: an upper bound for the worker's).

    .venv/bin/python bench/jdbc_store.py [--rows 1000000] [--fetch-size 10000] [--only postgresql|duckdb]

PostgreSQL is the server of ``deploy/infra.sh up`` (``KESTRA_TEST_PG_*``, read from the infra env file
like the tests). Prints the rows, seconds, rows/s, the server's CPU seconds meanwhile (rows per CPU
second: a figure the machine's load does not divide), the ION bytes, the peak RSS (VmHWM) after start
and at the end, and the load average.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from kestra_stream_plugins.jdbc.postgresql import connection_settings  # noqa: E402
from tests.conftest import PG_PASSWORD, PG_URL, PG_USER  # noqa: E402  (reads the infra env file)
from tests.plugin_families.server_local import server_local  # noqa: E402

NAMESPACE = "company.bench"
COLUMNS = "id, name, amount, created, day, flag"


def _flow(flow_id: str, task: str) -> str:
    return f"""id: {flow_id}
namespace: {NAMESPACE}
tasks:
  - id: store
{task}
    fetchType: STORE
"""


def postgres_flow(table: str, fetch_size: int) -> str:
    return _flow(
        "jdbc_store_postgresql",
        f"""    type: io.kestra.plugin.jdbc.postgresql.Query
    url: {PG_URL}
    username: {PG_USER}
    password: "{{{{ secret('BENCH_PG_PASSWORD') }}}}"
    timeZoneId: UTC
    fetchSize: {fetch_size}
    sql: SELECT {COLUMNS} FROM {table} ORDER BY id""",
    )


def duckdb_flow(rows: int, fetch_size: int) -> str:
    return _flow(
        "jdbc_store_duckdb",
        f"""    type: io.kestra.plugin.jdbc.duckdb.Query
    timeZoneId: UTC
    fetchSize: {fetch_size}
    sql: |
      SELECT i AS id, 'customer ' || i AS name, CAST((i % 100000) / 100 AS DECIMAL(12, 2)) AS amount,
             TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 SECOND AS created,
             DATE '2024-01-01' + CAST(i % 365 AS INTEGER) AS day, i % 2 = 0 AS flag
      FROM range({rows}) t(i)""",
    )


def create_table(rows: int) -> str:
    table = f"bench_store_{uuid.uuid4().hex[:8]}"
    settings = connection_settings(PG_URL) | {"user": PG_USER, "password": PG_PASSWORD}
    with psycopg.connect(**settings, autocommit=True) as connection:  # type: ignore[arg-type]
        connection.execute(
            f"CREATE TABLE {table} AS SELECT i AS id, 'customer ' || i AS name,"
            " ((i % 100000) / 100.0)::numeric(12, 2) AS amount,"
            " timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' AS created,"
            " date '2024-01-01' + (i % 365) AS day, i % 2 = 0 AS flag"
            f" FROM generate_series(0, {rows - 1}) AS i"
        )
    return table


def drop_table(table: str) -> None:
    settings = connection_settings(PG_URL) | {"user": PG_USER, "password": PG_PASSWORD}
    with psycopg.connect(**settings, autocommit=True) as connection:  # type: ignore[arg-type]
        connection.execute(f"DROP TABLE IF EXISTS {table}")


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.sample()

    def sample(self) -> None:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))
        except OSError:
            pass


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seconds(run: dict[str, Any]) -> float:
    import datetime as dt

    history = run["state"]["histories"]
    began = next(h["date"] for h in history if h["state"] == "RUNNING")
    ended = history[-1]["date"]

    def parse(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(ended) - parse(began)).total_seconds()


def measure(name: str, flow: str, flow_id: str, rows: int, work: Path) -> None:
    (work / name).mkdir()
    secret = {"SECRET_BENCH_PG_PASSWORD": base64.b64encode(PG_PASSWORD.encode()).decode()}
    with server_local(work / name, env=secret, cwd=work) as server:
        server.request("POST", "/api/v1/main/flows", flow.encode(), **{"Content-Type": "application/x-yaml"})
        monitor = PeakRss(server.pid)
        monitor.sample()
        idle_kb = monitor.peak_kb
        monitor.start()
        cpu_before = cpu_seconds(server.pid)
        execution = server.run(NAMESPACE, flow_id, timeout=3600)
        cpu = cpu_seconds(server.pid) - cpu_before
        monitor.sample()
        monitor.done.set()
    load = os.getloadavg()
    [run] = execution["taskRunList"]
    outputs = run.get("outputs") or {}
    files = list((work / name / "storage").rglob("*.ion"))
    size = sum(path.stat().st_size for path in files)
    took = seconds(run)
    print(
        f"{name:>10}: {execution['state']['current']}, {outputs.get('size', 0):,} rows in {took:.1f} s"
        f" = {rows / took:,.0f} rows/s; server CPU {cpu:.1f} s = {rows / cpu:,.0f} rows per CPU second;"
        f" ION {size / 1e6:,.0f} MB; server local peak RSS"
        f" {monitor.peak_kb / 1024:.0f} MB (after start {idle_kb / 1024:.0f} MB);"
        f" load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores"
    )
    if outputs.get("size") != rows:
        raise SystemExit(f"{name}: expected {rows} rows, the task stored {outputs.get('size')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fetch-size", type=int, default=10_000)
    parser.add_argument("--only", choices=["postgresql", "duckdb"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jdbc-bench-"))
    try:
        if args.only in (None, "postgresql"):
            began = time.monotonic()
            table = create_table(args.rows)
            print(
                f"PostgreSQL table {table}: {args.rows:,} rows in {time.monotonic() - began:.0f} s ({PG_URL})"
            )
            try:
                flow = postgres_flow(table, args.fetch_size)
                measure("postgresql", flow, "jdbc_store_postgresql", args.rows, work)
            finally:
                drop_table(table)
        if args.only in (None, "duckdb"):
            flow = duckdb_flow(args.rows, args.fetch_size)
            measure("duckdb", flow, "jdbc_store_duckdb", args.rows, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
