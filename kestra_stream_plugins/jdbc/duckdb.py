"""``io.kestra.plugin.jdbc.duckdb.*``: Query, Queries and Trigger on the embedded ``duckdb`` engine.

The default URL, ``jdbc:duckdb:``, is a database of this task alone (in memory, or a file of the
working directory when ``outputDbFile`` asks for it). Files named in ``inputFiles`` are written to
the working directory, which is DuckDB's ``file_search_path`` and the ``{{ workingDir }}``
variable; ``{{ outputFiles.NAME }}`` is a path there, uploaded after the query.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from pydantic import Field

from kestra_stream.plugins.base import PollingTrigger, RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_map, as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.workdir import local_target, write_input_files
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
from kestra_stream_plugins.jdbc._values import (
    Converter,
    as_offset_datetime,
    in_zone,
    iso_duration,
    parse_json,
    textual,
    zone_of,
)

SCHEME = "jdbc:duckdb:"
_ROWS = frozenset({"SELECT", "EXPLAIN", "PRAGMA", "CALL", "RELATION", "EXECUTE", "ANALYZE"})
_MAYBE_ROWS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE_INTO"})


def _converters(description: Sequence[Sequence[Any]], zone: dt.tzinfo) -> list[Converter | None]:
    zoned = in_zone(zone)

    def offset(value: Any) -> Any:
        return as_offset_datetime(value.astimezone(zone)) if isinstance(value, dt.datetime) else value

    converters: list[Converter | None] = []
    for column in description:
        kind = str(column[1]).upper()
        if kind == "TIMESTAMP WITH TIME ZONE":
            converters.append(offset)
        elif kind.startswith("TIMESTAMP") and "[" not in kind:
            converters.append(zoned)
        elif kind == "JSON":
            converters.append(parse_json)
        elif kind == "UUID":
            converters.append(textual)
        elif kind == "INTERVAL":
            converters.append(iso_duration)
        else:
            converters.append(None)
    return converters


class _DuckDbSession:
    def __init__(
        self, database: str, zone: dt.tzinfo, *, transactional: bool, search_path: Path | None
    ) -> None:
        import duckdb  # here, not at module import: processes that only parse flows do not load it

        self._zone = zone
        self._error = duckdb.Error
        with driver_errors(self._error):
            self._connection = duckdb.connect(database)
            if search_path is not None:
                self._connection.execute(
                    f"SET file_search_path = '{str(search_path).replace(chr(39), chr(39) * 2)}'"
                )
            if transactional:
                self._connection.begin()
        self._transactional = transactional

    def load_extensions(self, names: Sequence[str], warn: Callable[[str], None]) -> None:
        for name in names:
            if not name.replace("_", "").isalnum():
                warn(
                    f"Skipping DuckDB community extension '{name}': the name contains unsupported characters."
                )
                continue
            try:
                self._connection.execute(f"INSTALL {name} FROM community")
                self._connection.execute(f"LOAD {name}")
            except self._error as error:
                warn(
                    f"Failed to install/load DuckDB community extension '{name}', "
                    f"continuing without it: {error}"
                )

    def execute(self, sql: str, parameters: Sequence[Any] | None, *, fetch_size: int) -> ResultSet | None:
        with driver_errors(self._error):
            kinds = {statement.type.name for statement in self._connection.extract_statements(sql)}
            cursor = self._connection.execute(sql, list(parameters) if parameters is not None else None)
        description = cursor.description
        if description is None:
            return None
        is_count = len(description) == 1 and description[0][0] == "Count"
        if not (kinds & _ROWS or (kinds & _MAYBE_ROWS and not is_count)):
            return None
        return ResultSet(
            columns=[column[0] for column in description],
            converters=_converters(description, self._zone),
            batches=guarded_batches(cursor.fetchmany, self._error),
        )

    def commit(self) -> None:
        if self._transactional:
            with driver_errors(self._error):
                self._connection.commit()
            self._transactional = False

    def rollback(self) -> None:
        if self._transactional:
            with suppress(self._error):
                self._connection.rollback()
            self._transactional = False

    def interrupt(self) -> None:
        self._connection.interrupt()

    def close(self) -> None:
        self._connection.close()


class DuckDbProperties(JdbcQueryProperties):
    url: str | None = dynamic(
        "jdbc:duckdb:",
        description="`jdbc:duckdb:` (a database of this task) or `jdbc:duckdb:/path/to/file.db`.",
    )
    community_extensions: list[str] | str | None = dynamic(
        None, description="DuckDB community extensions to INSTALL and LOAD first (a WARN when one fails)."
    )

    def _warn_credentials(self, warn: Callable[[str], None]) -> None:
        if self.username is not None or self.password is not None:
            warn("`username` and `password` are ignored: DuckDB has no authentication")

    @contextmanager
    def _session(
        self,
        render: Callable[[Any], Any],
        directory: Path,
        transactional: bool,
        warn: Callable[[str], None],
        database: str | None = None,
    ) -> Iterator[Session]:
        url = str(render(self.url) or SCHEME)
        if not url.startswith(SCHEME):
            raise TaskFailure(f"URL scheme is invalid. URL should start with `{SCHEME.rstrip(':')}`")
        try:
            zone = zone_of(str(render(self.time_zone_id)) if self.time_zone_id else None)
        except ValueError as error:
            raise TaskFailure(str(error)) from None
        target = database or url[len(SCHEME) :] or ":memory:"
        session = _DuckDbSession(target, zone, transactional=transactional, search_path=directory)
        try:
            extensions = [as_text(name) for name in as_list(render(self.community_extensions))]
            session.load_extensions(extensions, warn)
            yield session
        finally:
            session.close()


class DuckDbQueryOutputs(QueryOutputs):
    output_files: dict[str, str] | None = Field(None, description="The `outputFiles`, name -> kestra:// URI.")
    database_uri: str | None = Field(
        None, description="The database file in internal storage (outputDbFile)."
    )


class DuckDbQueriesOutputs(QueriesOutputs):
    output_files: dict[str, str] | None = Field(None, description="The `outputFiles`, name -> kestra:// URI.")
    database_uri: str | None = Field(
        None, description="The database file in internal storage (outputDbFile)."
    )


class _DuckDbTask(RunnableTask, DuckDbProperties):
    input_files: dict[str, Any] | str | None = dynamic(
        None, description="Files written to the working directory first (name -> content or kestra:// URI)."
    )
    output_files: list[str] | str | None = dynamic(
        None, description="Names of files the SQL writes to `{{ outputFiles.NAME }}`, uploaded afterwards."
    )
    database_uri: str | None = dynamic(
        None, description="A DuckDB database file of internal storage to open."
    )
    output_db_file: bool = Field(False, description="Upload the database file and output its `databaseUri`.")

    def _run(self, ctx: RunContext, execute: Callable[..., dict[str, Any]]) -> dict[str, Any]:
        directory = ctx.working_dir
        self._warn_credentials(ctx.logger.warn)
        extra: dict[str, Any] = {"workingDir": str(directory)}
        try:
            write_input_files(ctx, directory, as_map(ctx.render(self.input_files, extra), "inputFiles"))
        except ValueError as error:
            raise TaskFailure(f"invalid `inputFiles`: {error}") from error
        names = [as_text(name) for name in as_list(ctx.render(self.output_files, extra))]
        outputs_paths = {name: local_target(directory, name) for name in names}
        extra["outputFiles"] = {name: str(path) for name, path in outputs_paths.items()}
        database = self._database(ctx, directory)
        if database is not None:
            extra["dbFilePath"] = database

        def render(value: Any) -> Any:
            return ctx.render(value, extra)

        outputs = execute(
            lambda transactional: self._session(render, directory, transactional, ctx.logger.warn, database),
            render,
        )
        uploaded: dict[str, str] = {}
        for name, path in outputs_paths.items():
            if not path.is_file():
                raise TaskFailure(f"output file `{name}` was not written by the SQL (expected at {path})")
            uploaded[name] = ctx.put_file(path, name)
        outputs["outputFiles"] = uploaded
        if self.output_db_file:
            if database is None:
                raise TaskFailure("`outputDbFile` needs a database file")
            outputs["databaseUri"] = ctx.put_file(Path(database))
        return outputs

    def _database(self, ctx: RunContext, directory: Path) -> str | None:
        if self.database_uri is not None:
            target = directory / f"{uuid.uuid4().hex}.db"
            ctx.get_file(str(ctx.render(self.database_uri)), target)
            return str(target)
        url = str(ctx.render(self.url) or SCHEME)
        if url in (SCHEME, f"{SCHEME}:memory:") and self.output_db_file:
            return str(directory / f"{uuid.uuid4().hex}.db")
        return None


class Query(_DuckDbTask):
    """Run SQL on DuckDB (``io.kestra.plugin.jdbc.duckdb.Query``); the outputs of its last statement."""

    outputs_model = DuckDbQueryOutputs

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        return self._run(
            ctx,
            lambda sessions, render: run_query_task(
                self, ctx, sessions, question_marks, render=render, single=False
            ),
        )


class Queries(_DuckDbTask):
    """Run several SQL statements on DuckDB, in one transaction unless ``transaction: false``."""

    outputs_model = DuckDbQueriesOutputs

    transaction: bool = Field(True, description="All statements in one transaction, rolled back on error.")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        return self._run(
            ctx,
            lambda sessions, render: run_queries_task(
                self, ctx, sessions, question_marks, transaction=self.transaction, render=render
            ),
        )


class Trigger(PollingTrigger, DuckDbProperties):
    """Poll a DuckDB query every ``interval``; an execution when it returns rows."""

    outputs_model = QueryOutputs

    def evaluate(self, ctx: TriggerRunContext) -> dict[str, Any] | None:
        self._warn_credentials(ctx.warn)
        return evaluate_trigger(
            self,
            self.id,
            ctx,
            lambda directory, transactional: self._session(ctx.render, directory, transactional, ctx.warn),
            question_marks,
        )


PLUGINS = (
    (Query, "io.kestra.plugin.jdbc.duckdb.Query"),
    (Queries, "io.kestra.plugin.jdbc.duckdb.Queries"),
    (Trigger, "io.kestra.plugin.jdbc.duckdb.Trigger"),
)
