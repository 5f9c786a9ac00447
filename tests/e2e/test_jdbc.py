"""The jdbc plugins through the worker, end to end on both backends: SQLite and DuckDB (embedded),
PostgreSQL (the real server of ``deploy/infra.sh``): every fetchType, parameters, ION files,
DuckDB's inputFiles/outputFiles, and bad SQL failing the task into the flow's errors branch."""

from __future__ import annotations

import base64
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from engine_harness import Engine, run_of, task_states

from kestra_stream import ion as _ion
from kestra_stream.models import StateType
from kestra_stream.storage import LocalStorage
from kestra_stream_plugins.jdbc.postgresql import connection_settings
from tests.conftest import Postgres


def _outputs(execution: Any, task_id: str) -> dict[str, Any]:
    return dict(run_of(execution, task_id).outputs or {})


def _read_ion(engine: Engine, uri: str) -> list[Any]:
    storage = LocalStorage(base_path=engine.storage_path)
    with storage.get(uri) as handle:
        text = handle.read().decode()
    return [_ion.loads(line) for line in text.splitlines() if line.strip()]


def _raw(engine: Engine, uri: str) -> str:
    with LocalStorage(base_path=engine.storage_path).get(uri) as handle:
        return handle.read().decode()


def test_sqlite_every_fetch_type(engine: Engine, tmp_path: Path) -> None:
    database = tmp_path / f"{engine.backend}.db"
    done = engine.wait_done(engine.run("jdbc_sqlite", inputs={"db": str(database)}))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    setup = _outputs(done, "setup")["outputs"]
    assert setup == [{"row": {"n": 2}, "size": 1}]
    one = _outputs(done, "one")
    assert one["size"] == 1
    assert one["row"] == {
        "name": "semi; colon",
        "price": 1.5,
        "released": "2024-01-02",
        "updated_at": "2024-01-02T09:00:00Z",  # a local time of Europe/Paris, as an Instant
        "payload": "aGk=",
    }
    assert _outputs(done, "all") == {
        "rows": [{"id": 1, "name": "semi; colon"}, {"id": 2, "name": "plain"}],
        "size": 2,
    }
    store = _outputs(done, "store")
    assert store["size"] == 2 and store["uri"].startswith("kestra:///") and store["uri"].endswith(".ion")
    raw = _raw(engine, store["uri"])
    assert raw.splitlines()[0] == (
        '{id:1,name:"semi; colon",price:1.5e0,released:2024-01-02,'
        "updated_at:2024-01-02T10:00:00.000Z,payload:{{aGk=}}}"
    )
    rows = _read_ion(engine, store["uri"])
    assert [row["name"] for row in rows] == ["semi; colon", "plain"]
    assert _outputs(done, "none") == {}
    logs = [entry.message or "" for entry in engine.logs_of(done.id) if entry.task_id == "count"]
    assert logs == ["rows=2 first=semi; colon stored=2"]


def test_duckdb_files_types_and_queries(engine: Engine) -> None:
    done = engine.wait_done(engine.run("jdbc_duckdb"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    query = _outputs(done, "query")
    assert query["size"] == 3
    lines = _raw(engine, query["uri"]).splitlines()
    assert lines[0] == (
        '{order_id:1,customer:"ann",total:10.50,ordered_on:2024-01-02,'
        'ts:ZonedDateTime::"2024-01-02T11:00:00+01:00[Europe/Paris]",'
        'tstz:OffsetDateTime::"2024-01-02T11:00:00+01:00",'
        'pair:[1,2],nested:{c:"ann"},doc:{k:[1,2]}}'
    )
    summary = query["outputFiles"]["summary"]
    assert _raw(engine, summary).splitlines() == ["customer,spent", "ann,17.5", "bob,3.25"]
    queries = _outputs(done, "queries")["outputs"]
    assert queries == [
        {"rows": [{"total": 10}], "size": 1},
        {"rows": [{"i": 3}, {"i": 4}], "size": 2},
    ]
    assert _outputs(done, "reread")["row"] == {"customer": "ann", "spent": 17.5}
    # the serdes family reads the STORE file (the same kestra_stream.ion reader)
    csv = _raw(engine, _outputs(done, "csv")["uri"]).splitlines()
    assert csv == ["id,name,total,day,seen", "1,ann,10.50,2024-01-02,2024-01-02T10:00:00.000Z"]


@pytest.mark.parametrize(
    ("database", "url", "sql", "message"),
    [
        ("sqlite", "jdbc:sqlite::memory:", "SELECT * FROM missing_table", "no such table: missing_table"),
        ("sqlite", "jdbc:sqlite::memory:", "SELEKT 1", 'near "SELEKT": syntax error'),
        ("sqlite", "jdbc:sqlite::memory:", "SELECT 1; SELECT 2", "support only a single SQL statement"),
        ("sqlite", "jdbc:mysql://nowhere/db", "SELECT 1", "URL should start with `jdbc:sqlite`"),
        (
            "duckdb",
            "jdbc:duckdb:",
            "SELECT * FROM missing_table",
            "Table with name missing_table does not exist",
        ),
        ("duckdb", "jdbc:duckdb:", "SELECT * FROM read_csv_auto('absent.csv')", "absent.csv"),
    ],
    ids=["sqlite-table", "sqlite-syntax", "sqlite-two", "sqlite-scheme", "duckdb-table", "duckdb-file"],
)
def test_bad_sql_fails_into_errors_branch(
    engine: Engine, database: str, url: str, sql: str, message: str
) -> None:
    done = engine.wait_done(engine.run(f"jdbc_error_{database}", inputs={"url": url, "sql": sql}))
    assert done.state.current is StateType.FAILED
    assert task_states(done) == {"broken": "FAILED", "handled": "SUCCESS"}
    errors = [entry.message or "" for entry in engine.logs_of(done.id) if entry.task_id == "broken"]
    assert any(message in line for line in errors), errors
    handled = [entry.message or "" for entry in engine.logs_of(done.id) if entry.task_id == "handled"]
    assert handled and message in handled[0], handled


@pytest.fixture
def pg_secret(postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> Postgres:
    """The password reaches flows only as ``secret('JDBC_PG_PASSWORD')`` (masked in logs)."""
    monkeypatch.setenv("SECRET_JDBC_PG_PASSWORD", base64.b64encode(postgres.password.encode()).decode())
    monkeypatch.setenv("SECRET_JDBC_PG_WRONG", base64.b64encode(b"not-the-password").decode())
    return postgres


def _table() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def _no_password_in_logs(engine: Engine, execution_id: str, password: str) -> None:
    messages = [entry.message or "" for entry in engine.logs_of(execution_id)]
    assert messages
    assert not any(password in message for message in messages), messages


def test_postgresql_fetch_types_copy_and_type_mapping(engine: Engine, pg_secret: Postgres) -> None:
    table = _table()
    inputs = {"url": pg_secret.url, "username": pg_secret.username, "table": table}
    done = engine.wait_done(engine.run("jdbc_postgresql", inputs=inputs))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert _outputs(done, "setup")["outputs"] == [{"row": {"n": 2}, "size": 1}]
    one = _outputs(done, "one")
    assert one == {
        "row": {
            "name": "semi; colon",
            "price": 10.5,
            "born": "2024-01-02",
            "seen": "2024-01-02T10:00:00",
            "seen_tz": "2024-01-02T11:00:00+01:00",
            "tags": ["a", "b"],
            "doc": {"k": [1, 2]},
            "raw": "aGk=",
            "wait": "P0Y0M1DT2H0M0S",
            "ref": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "bonus": 42,
        },
        "size": 1,
    }
    assert _outputs(done, "all") == {
        "rows": [{"id": 1, "name": "semi; colon"}, {"id": 2, "name": "100%"}],
        "size": 2,
    }
    store = _outputs(done, "store")
    assert store["size"] == 2
    lines = _raw(engine, store["uri"]).splitlines()
    assert lines == [
        '{id:1,name:"semi; colon",price:10.50,born:2024-01-02,seen:LocalDateTime::"2024-01-02T10:00:00",'
        'seen_tz:ZonedDateTime::"2024-01-02T10:00:00Z[UTC]",tags:["a","b"],doc:{k:[1,2]}}',
        '{id:2,name:"100%",price:3.25,born:2024-02-03,seen:LocalDateTime::"2024-02-03T11:30:00",'
        'seen_tz:ZonedDateTime::"2024-02-03T11:30:00Z[UTC]",tags:[],doc:null}',
    ]
    export = _outputs(done, "export")
    assert export["rowCount"] == 2
    assert _raw(engine, export["uri"]).splitlines() == ["name,price", "semi; colon,10.50", "100%,3.25"]
    assert _outputs(done, "import") == {"rowCount": 2}
    assert _outputs(done, "check")["row"] == {"n": 2, "total": 13.75}
    _no_password_in_logs(engine, done.id, pg_secret.password)


@pytest.mark.parametrize(
    ("case", "sql", "message"),
    [
        ("missing-table", "SELECT * FROM missing_table_x", 'relation "missing_table_x" does not exist'),
        ("syntax", "SELEKT 1", 'syntax error at or near "SELEKT"'),
        ("wrong-password", "SELECT 1", "password authentication failed"),
        ("unreachable", "SELECT 1", "Connection refused"),
    ],
)
def test_postgresql_errors_fail_into_errors_branch(
    engine: Engine, pg_secret: Postgres, case: str, sql: str, message: str
) -> None:
    url = pg_secret.url
    if case == "unreachable":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]  # nothing listens there once closed
        url = f"jdbc:postgresql://127.0.0.1:{port}/postgres"
    inputs = {
        "url": url,
        "sql": sql,
        "username": pg_secret.username,
        "secret": "JDBC_PG_WRONG" if case == "wrong-password" else "JDBC_PG_PASSWORD",
    }
    done = engine.wait_done(engine.run("jdbc_error_postgresql", inputs=inputs))
    assert done.state.current is StateType.FAILED
    assert task_states(done) == {"broken": "FAILED", "handled": "SUCCESS"}
    errors = [entry.message or "" for entry in engine.logs_of(done.id) if entry.task_id == "broken"]
    assert any(message in line for line in errors), errors
    _no_password_in_logs(engine, done.id, pg_secret.password)
    _no_password_in_logs(engine, done.id, "not-the-password")


def test_postgresql_timeout_cancels_the_running_statement(engine: Engine, pg_secret: Postgres) -> None:
    marker = f"m{uuid.uuid4().hex[:10]}"
    inputs = {"url": pg_secret.url, "username": pg_secret.username, "marker": marker}
    done = engine.wait_done(engine.run("jdbc_timeout_postgresql", inputs=inputs))
    assert done.state.current is StateType.FAILED
    settings = connection_settings(pg_secret.url) | {
        "user": pg_secret.username,
        "password": pg_secret.password,
    }
    with psycopg.connect(**settings, autocommit=True) as connection:  # type: ignore[arg-type]
        for _ in range(50):  # the server ends the statement once the worker cancelled it
            running = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE %s"
                " AND query NOT LIKE %s",
                (f"%{marker}%", "%pg_stat_activity%"),
            ).fetchone()
            if running == (0,):
                break
            time.sleep(0.2)
        assert running == (0,), "the statement still runs on the server after the task's timeout"


def test_database_files_travel_through_internal_storage(engine: Engine, tmp_path: Path) -> None:
    database = tmp_path / "trips.db"  # a relative name would be the worker's directory, as in Kestra
    done = engine.wait_done(engine.run("jdbc_db_files", inputs={"db": str(database)}))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert _outputs(done, "create_trips_table")["databaseUri"].startswith("kestra:///")
    assert _outputs(done, "read_trips")["row"] == {"trips": 2, "passengers": 3}
    assert _outputs(done, "duck_create")["outputs"] == [{"row": {"n": 4}, "size": 1}]
    assert _outputs(done, "duck_read")["row"] == {"total": 6}
