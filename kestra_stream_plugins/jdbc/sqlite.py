"""``io.kestra.plugin.jdbc.sqlite.*``: Query, Queries and Trigger on the standard library's sqlite3.

A relative database path is resolved in the task's working directory when the file is there
(``sqliteFile`` puts it there), else against the worker's current directory, as Kestra does.
SQLite connections are not pooled (Kestra does not pool them either: a file-scoped database).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import orjson
from pydantic import Field

from kestra_stream.plugins.base import PollingTrigger, RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.workdir import write_input_files
from kestra_stream.scheduler.plugins import TriggerRunContext
from kestra_stream_plugins.jdbc._query import (
    JdbcQueryProperties,
    QueriesOutputs,
    QueryOutputs,
    ResultSet,
    Session,
    driver_errors,
    evaluate_trigger,
    guarded_batches,
    question_marks,
    run_queries_task,
    run_query_task,
)
from kestra_stream_plugins.jdbc._values import Instant, zone_of

SCHEME = "jdbc:sqlite:"


class _Text(str):
    """A DATETIME/TIMESTAMP cell's text, turned into an Instant in the task's time zone."""


def _date(raw: bytes) -> Any:
    text = raw.decode()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def _time(raw: bytes) -> Any:
    text = raw.decode()
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        return text


sqlite3.register_converter("DATE", _date)
sqlite3.register_converter("TIME", _time)
sqlite3.register_converter("DATETIME", lambda raw: _Text(raw.decode()))
sqlite3.register_converter("TIMESTAMP", lambda raw: _Text(raw.decode()))


def _instant(zone: dt.tzinfo) -> Any:
    def convert(value: Any) -> Any:
        if not isinstance(value, _Text):
            return value
        text = str(value)
        try:
            parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
        except ValueError:
            return text
        return Instant.of(parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone))

    return convert


def database_path(url: str, working_dir: Path | None) -> str:
    if not url.startswith(SCHEME):
        raise TaskFailure(f"URL scheme is invalid. URL should start with `{SCHEME.rstrip(':')}`")
    name = url[len(SCHEME) :].split("?", 1)[0]
    if name.startswith("file:"):
        name = name[len("file:") :]
    if name in ("", ":memory:"):
        return ":memory:"
    if working_dir is not None and not Path(name).is_absolute() and (working_dir / name).exists():
        return str(working_dir / name)
    return name


class _SqliteSession:
    def __init__(self, path: str, zone: dt.tzinfo, *, transactional: bool) -> None:
        self._transactional = transactional
        with driver_errors(sqlite3.Error):
            self._connection = sqlite3.connect(
                path, detect_types=sqlite3.PARSE_DECLTYPES, isolation_level=None, check_same_thread=False
            )
        self._convert = _instant(zone)

    def execute(self, sql: str, parameters: Sequence[Any] | None, *, fetch_size: int) -> ResultSet | None:
        cursor = self._connection.cursor()
        with driver_errors(sqlite3.Error):
            if self._transactional and not self._connection.in_transaction:
                cursor.execute("BEGIN")
            cursor.execute(sql, [_parameter(value) for value in parameters or ()])
        if cursor.description is None:
            return None
        columns = [column[0] for column in cursor.description]
        return ResultSet(
            columns=columns,
            converters=[self._convert] * len(columns),
            batches=guarded_batches(cursor.fetchmany, sqlite3.Error),
        )

    def commit(self) -> None:
        with driver_errors(sqlite3.Error):
            if self._connection.in_transaction:
                self._connection.execute("COMMIT")

    def rollback(self) -> None:
        if self._connection.in_transaction:
            with suppress(sqlite3.Error):
                self._connection.execute("ROLLBACK")

    def interrupt(self) -> None:
        self._connection.interrupt()

    def close(self) -> None:
        self._connection.close()


def _parameter(value: Any) -> Any:
    if isinstance(value, Mapping | list):
        return orjson.dumps(value).decode()
    return value


class SqliteProperties(JdbcQueryProperties):
    url: str | None = dynamic(
        None,
        description="`jdbc:sqlite:FILE` (relative to the working directory if the "
        "file is there, else to the worker's directory) or `jdbc:sqlite::memory:`.",
    )

    def _warn_credentials(self, warn: Any) -> None:
        if self.username is not None or self.password is not None:
            warn("`username` and `password` are ignored: SQLite has no authentication")

    @contextmanager
    def _session(self, render: Any, working_dir: Path | None, transactional: bool) -> Iterator[Session]:
        url = str(render(self.url) or "")
        if not url:
            raise TaskFailure("`url` is required (e.g. `jdbc:sqlite:my.db`)")
        zone = _zone(render(self.time_zone_id))
        session = _SqliteSession(database_path(url, working_dir), zone, transactional=transactional)
        try:
            yield session
        finally:
            session.close()


def _zone(zone_id: Any) -> dt.tzinfo:
    try:
        return zone_of(str(zone_id) if zone_id else None)
    except ValueError as error:
        raise TaskFailure(str(error)) from None


class SqliteQueryOutputs(QueryOutputs):
    database_uri: str | None = Field(
        None, description="The database file in internal storage (outputDbFile)."
    )


class SqliteQueriesOutputs(QueriesOutputs):
    database_uri: str | None = Field(
        None, description="The database file in internal storage (outputDbFile)."
    )


class _SqliteTask(RunnableTask, SqliteProperties):
    sqlite_file: str | None = dynamic(
        None, description="A database file of internal storage, copied under the URL's file name first."
    )
    output_db_file: bool = Field(False, description="Upload the database file and output its `databaseUri`.")

    def _prepare_file(self, ctx: RunContext) -> str:
        url = str(ctx.render(self.url) or "")
        self._warn_credentials(ctx.logger.warn)
        if self.sqlite_file is not None:
            name = database_path(url, None)
            if name == ":memory:" or Path(name).is_absolute():
                raise TaskFailure(
                    "`sqliteFile` needs a relative file name in `url` (e.g. `jdbc:sqlite:my.db`)"
                )
            write_input_files(ctx, ctx.working_dir, {name: ctx.render(self.sqlite_file)})
        return url

    def _database_output(self, ctx: RunContext, url: str) -> dict[str, Any]:
        if not self.output_db_file:
            return {}
        path = Path(database_path(url, ctx.working_dir))
        if str(path) == ":memory:" or not path.is_file():
            raise TaskFailure("`outputDbFile` needs a database file in `url`")
        return {"databaseUri": ctx.put_file(path)}


class Query(_SqliteTask):
    """Run one SQL statement on a SQLite database (``io.kestra.plugin.jdbc.sqlite.Query``)."""

    outputs_model = SqliteQueryOutputs

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        url = self._prepare_file(ctx)
        outputs = run_query_task(
            self,
            ctx,
            lambda transactional: self._session(ctx.render, ctx.working_dir, transactional),
            question_marks,
        )
        return {**outputs, **self._database_output(ctx, url)}


class Queries(_SqliteTask):
    """Run several SQL statements, in one transaction unless ``transaction: false``."""

    outputs_model = SqliteQueriesOutputs

    transaction: bool = Field(True, description="All statements in one transaction, rolled back on error.")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        url = self._prepare_file(ctx)
        outputs = run_queries_task(
            self,
            ctx,
            lambda transactional: self._session(ctx.render, ctx.working_dir, transactional),
            question_marks,
            transaction=self.transaction,
        )
        return {**outputs, **self._database_output(ctx, url)}


class Trigger(PollingTrigger, SqliteProperties):
    """Poll a SQLite query every ``interval``; an execution when it returns rows (``trigger.row``,
    ``trigger.rows`` or ``trigger.uri``, and ``trigger.size``)."""

    outputs_model = QueryOutputs

    def evaluate(self, ctx: TriggerRunContext) -> dict[str, Any] | None:
        self._warn_credentials(ctx.warn)
        return evaluate_trigger(
            self,
            self.id,
            ctx,
            lambda directory, transactional: self._session(ctx.render, None, transactional),
            question_marks,
        )


PLUGINS = (
    (Query, "io.kestra.plugin.jdbc.sqlite.Query"),
    (Queries, "io.kestra.plugin.jdbc.sqlite.Queries"),
    (Trigger, "io.kestra.plugin.jdbc.sqlite.Trigger"),
)
