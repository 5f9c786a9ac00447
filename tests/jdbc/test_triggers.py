"""The polling Triggers evaluated as the worker evaluates a WorkerTriggerJob (``run_trigger_job``):
DuckDB on a database file, the bad-SQL case, and the STORE file in internal storage. (PostgreSQL
and SQLite Triggers firing executions through the scheduler: tests/api/test_jdbc_trigger.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from kestra_stream import ion
from kestra_stream.scheduler.messages import WorkerTriggerJob
from kestra_stream.scheduler.plugins import run_trigger_job
from kestra_stream.storage import LocalStorage, read_bytes


def _job(trigger: dict[str, Any]) -> WorkerTriggerJob:
    return WorkerTriggerJob(
        uid="main_ns_f_poll",
        namespace="ns",
        flow_id="f",
        flow_revision=1,
        trigger={"id": "poll", "interval": "PT10S", **trigger},
        evaluation_date=datetime.now(UTC),
        variables={},
    )


def test_duckdb_trigger_stores_new_rows_once(tmp_path: Path) -> None:
    database = tmp_path / "events.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("CREATE TABLE events (id INTEGER, name VARCHAR, seen BOOLEAN DEFAULT false)")
        connection.execute("INSERT INTO events (id, name) VALUES (1, 'a'), (2, 'b')")
    job = _job(
        {
            "type": "io.kestra.plugin.jdbc.duckdb.Trigger",
            "url": f"jdbc:duckdb:{database}",
            "sql": "SELECT id, name FROM events WHERE NOT seen ORDER BY id",
            "afterSQL": "UPDATE events SET seen = true WHERE NOT seen",
            "fetchType": "STORE",
        }
    )
    storage = LocalStorage(base_path=tmp_path / "storage")
    result = run_trigger_job(job, storage=storage)
    assert result.success, result.error
    assert result.variables is not None and result.variables["size"] == 2
    uri = result.variables["uri"]
    assert uri.startswith("kestra:///ns/f/triggers/poll/")
    rows = [ion.loads(line) for line in read_bytes(storage, uri).decode().splitlines()]
    assert rows == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    again = run_trigger_job(job, storage=storage)  # afterSQL marked them: no execution
    assert again.success and again.variables is None


def test_trigger_with_bad_sql_reports_the_driver_message(tmp_path: Path) -> None:
    job = _job(
        {
            "type": "io.kestra.plugin.jdbc.sqlite.Trigger",
            "url": f"jdbc:sqlite:{tmp_path / 'empty.db'}",
            "sql": "SELECT * FROM nothing_here",
            "fetchType": "FETCH",
        }
    )
    result = run_trigger_job(job, storage=LocalStorage(base_path=tmp_path / "storage"))
    assert not result.success
    assert result.error is not None and "no such table: nothing_here" in result.error
