"""The jdbc polling Triggers fire executions through the scheduler and a worker, on server local
(memory) and on a real standalone server (Kafka + Elasticsearch): PostgreSQL (the server of
``deploy/infra.sh``) and SQLite; ``afterSQL`` marks the polled rows so they fire only once."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import psycopg
from api_backends import Api

from kestra_stream_plugins.jdbc.postgresql import connection_settings
from tests.conftest import Postgres

EXECUTIONS = "/api/v1/main/executions"


def _flow(namespace: str, trigger: str) -> str:
    return f"""id: polled
namespace: {namespace}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.size }}}} rows: {{{{ trigger.rows | jq('.[].name') | join(',') }}}}"
triggers:
  - id: poll
    interval: PT1S
{trigger}
"""


async def _fired(api: Api, namespace: str) -> list[dict[str, Any]]:
    body = await api.eventually(
        f"{EXECUTIONS}/search?filters[namespace][EQUALS]={namespace}&filters[state][EQUALS]=SUCCESS",
        lambda page: page["total"] >= 1,
        timeout=60,
    )
    await asyncio.sleep(3)  # later polls find the rows marked: no second execution
    again = await api.json("GET", f"{EXECUTIONS}/search?filters[namespace][EQUALS]={namespace}")
    assert again["total"] == 1, again["results"]
    results: list[dict[str, Any]] = body["results"]
    return results


async def test_postgresql_trigger_fires_once_per_new_rows(api: Api, unique: str, postgres: Postgres) -> None:
    table = f"poll_{uuid.uuid4().hex[:10]}"
    settings = connection_settings(postgres.url) | {"user": postgres.username, "password": postgres.password}
    with psycopg.connect(**settings, autocommit=True) as connection:  # type: ignore[arg-type]
        connection.execute(f"CREATE TABLE {table} (id serial, name text, seen boolean DEFAULT false)")
        connection.execute(f"INSERT INTO {table} (name) VALUES ('ann'), ('bob')")
    trigger = f"""    type: io.kestra.plugin.jdbc.postgresql.Trigger
    url: {postgres.url}
    username: {postgres.username}
    password: {postgres.password}
    sql: SELECT id, name FROM {table} WHERE NOT seen ORDER BY id
    afterSQL: UPDATE {table} SET seen = true WHERE NOT seen
    fetchType: FETCH"""
    await api.create_flow(_flow(unique, trigger))
    [execution] = await _fired(api, unique)
    variables = execution["trigger"]["variables"]
    assert variables["size"] == 2
    assert [row["name"] for row in variables["rows"]] == ["ann", "bob"]


async def test_sqlite_trigger_fires_with_a_stored_file(api: Api, unique: str, tmp_path: Path) -> None:
    database = tmp_path / "poll.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT, seen INTEGER DEFAULT 0)")
        connection.execute("INSERT INTO events (name) VALUES ('first')")
    trigger = f"""    type: io.kestra.plugin.jdbc.sqlite.Trigger
    url: jdbc:sqlite:{database}
    sql: SELECT id, name FROM events WHERE seen = 0
    afterSQL: UPDATE events SET seen = 1 WHERE seen = 0
    fetchType: STORE"""
    await api.create_flow(
        _flow(unique, trigger).replace("trigger.rows | jq('.[].name') | join(',')", "trigger.uri")
    )
    [execution] = await _fired(api, unique)
    variables = execution["trigger"]["variables"]
    assert (
        variables["size"] == 1
        and variables["uri"].startswith("kestra:///")
        and variables["uri"].endswith(".ion")
    )


async def test_jdbc_plugins_are_listed_with_their_schema(api: Api) -> None:
    groups = await api.json("GET", "/api/v1/plugins")
    tasks = {task for group in groups for task in group.get("tasks", [])}
    triggers = {trigger for group in groups for trigger in group.get("triggers", [])}
    for database, kinds in {
        "sqlite": ("Query", "Queries"),
        "duckdb": ("Query", "Queries"),
        "postgresql": ("Query", "Queries", "CopyIn", "CopyOut"),
    }.items():
        assert {f"io.kestra.plugin.jdbc.{database}.{kind}" for kind in kinds} <= tasks
        assert f"io.kestra.plugin.jdbc.{database}.Trigger" in triggers
    doc = (await api.json("GET", "/api/v1/plugins/io.kestra.plugin.jdbc.postgresql.Query"))["schema"]
    definitions = doc["$defs"]
    properties = definitions[doc["properties"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"url", "fetchType", "fetchSize", "parameters", "timeZoneId", "afterSQL", "sslMode"} <= set(
        properties
    )
    outputs = definitions[doc["outputs"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"row", "rows", "uri", "size"} <= set(outputs)
