"""Benchmark of the serdes family: ``CsvToIon`` then ``IonToParquet`` of a generated CSV (1 GB by default)
through the real tasks, on ``kestra-stream server local`` (its worker runs them), with the peak RSS of
that server process (worker, executor and webserver together: an upper bound for the worker's).

    .venv/bin/python bench/serdes.py [--size-mb 1024] [--keep]

Prints the rows, bytes and seconds of each task, its rows/s, the peak RSS (VmHWM) and the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.plugin_families.server_local import server_local  # noqa: E402

NAMESPACE = "company.bench"
FLOW = f"""id: serdes_bench
namespace: {NAMESPACE}
tasks:
  - id: csv_to_ion
    type: io.kestra.plugin.serdes.csv.CsvToIon
    from: nsfile:///bench.csv
  - id: ion_to_parquet
    type: io.kestra.plugin.serdes.parquet.IonToParquet
    from: "{{{{ outputs.csv_to_ion.uri }}}}"
    compressionCodec: SNAPPY
    schema: |
      {{"type": "record", "name": "Order", "fields": [
        {{"name": "id", "type": "long"}},
        {{"name": "customer", "type": "string"}},
        {{"name": "email", "type": ["null", "string"]}},
        {{"name": "amount",
          "type": {{"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}}}},
        {{"name": "ordered_on", "type": {{"type": "int", "logicalType": "date"}}}},
        {{"name": "shipped_at", "type": ["null", {{"type": "long", "logicalType": "timestamp-millis"}}]}},
        {{"name": "paid", "type": "boolean"}},
        {{"name": "note", "type": ["null", "string"]}}]}}
"""


def generate(path: Path, size: int) -> int:
    """A CSV of about ``size`` bytes: typed-looking columns, some quoted fields, some nulls."""
    rng = random.Random(7)
    notes = ['"fragile, handle with care"', "", "gift", '"said ""thanks"""', "\\N"]
    start = dt.date(2020, 1, 1)
    rows = 0
    with path.open("w", buffering=1024 * 1024) as out:
        out.write("id,customer,email,amount,ordered_on,shipped_at,paid,note\n")
        written = 0
        while written < size:
            lines = []
            for _ in range(10_000):
                rows += 1
                day = start + dt.timedelta(days=rows % 1500)
                shipped = f"{day.isoformat()}T{rows % 24:02d}:{rows % 60:02d}:00Z" if rows % 7 else ""
                lines.append(
                    f"{rows},Customer {rng.randrange(100_000)},user{rows}@example.com,"
                    f"{rng.randrange(100, 10_000_000) / 100:.2f},{day.isoformat()},{shipped},"
                    f"{'true' if rows % 3 else 'false'},{notes[rows % len(notes)]}\n"
                )
            chunk = "".join(lines)
            out.write(chunk)
            written += len(chunk)
    return rows


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


def seconds(run: dict[str, object]) -> float:
    history = run["state"]["histories"]  # type: ignore[index]
    began = next(h["date"] for h in history if h["state"] == "RUNNING")
    ended = history[-1]["date"]
    parse = dt.datetime.fromisoformat
    return (parse(ended.replace("Z", "+00:00")) - parse(began.replace("Z", "+00:00"))).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="serdes-bench-"))
    source = work / "storage" / "main" / "company" / "bench" / "_files" / "bench.csv"
    source.parent.mkdir(parents=True)
    began = time.monotonic()
    rows = generate(source, args.size_mb * 1024 * 1024)
    size = source.stat().st_size
    print(f"generated {rows:,} rows, {size / 1e6:,.0f} MB in {time.monotonic() - began:.0f} s ({work})")
    with server_local(work) as server:
        server.request("POST", "/api/v1/main/flows", FLOW.encode(), **{"Content-Type": "application/x-yaml"})
        pid = int(
            os.popen(f"lsof -t -i TCP:{server.base_url.rsplit(':', 1)[1]} -s TCP:LISTEN").read().split()[0]
        )
        monitor = PeakRss(pid)
        monitor.sample()
        idle_kb = monitor.peak_kb
        monitor.start()
        execution = server.run(NAMESPACE, "serdes_bench", timeout=6 * 3600)
        monitor.sample()
        monitor.done.set()
    load = os.getloadavg()
    print(
        f"execution {execution['state']['current']}; server local peak RSS {monitor.peak_kb / 1024:.0f} MB "
        f"(after start {idle_kb / 1024:.0f} MB); load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    for run in execution["taskRunList"]:
        took = seconds(run)
        print(
            f"{run['taskId']:>15}: {rows:,} rows in {took:.1f} s = {rows / took:,.0f} rows/s, "
            f"{size / took / 1e6:.1f} MB/s of CSV"
        )
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
