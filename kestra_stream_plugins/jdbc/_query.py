"""What the Query, Queries and Trigger plugins of every database share.

A database module provides a :class:`Session` (one connection, borrowed from the worker's pool
where the database has one); this module renders the properties, runs the statements through it
and turns result sets into Kestra's outputs for each ``fetchType``. Rows are never all held in
memory for ``STORE``: they are written to the ION file batch by batch as the driver fetches them.
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import orjson
from pydantic import Field, field_validator

from kestra_stream.models.document import KestraModel
from kestra_stream.models.payload import Payload
from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.cancellation import current_token
from kestra_stream.runtime.errors import TaskFailure, TaskKilledError
from kestra_stream.scheduler.plugins import TriggerRunContext
from kestra_stream_plugins.jdbc._sql import ParameterError, bind_named, split_statements
from kestra_stream_plugins.jdbc._values import Converter, json_row, row_encoder, to_row

SINGLE_STATEMENT = (
    "Query task support only a single SQL statement. Use the Queries task to run multiple statements."
)
_WRITE_BUFFER = 1 << 20


class FetchType(StrEnum):
    FETCH_ONE = "FETCH_ONE"
    FETCH = "FETCH"
    STORE = "STORE"
    NONE = "NONE"


class QueryOutputs(Payload):
    """Kestra's ``AbstractJdbcBaseQuery.Output``."""

    row: dict[str, Any] | None = Field(None, description="The first row (fetchType FETCH_ONE).")
    rows: list[dict[str, Any]] | None = Field(None, description="Every row (fetchType FETCH).")
    uri: str | None = Field(None, description="The ION file of the rows in internal storage (STORE).")
    size: int | None = Field(None, description="The number of rows fetched or stored.")


class QueriesOutputs(Payload):
    outputs: list[QueryOutputs] = Field(description="One output per statement returning rows.")


class DatabaseError(Exception):
    """A driver error, with the driver's own message (never the connection's credentials)."""


@dataclass(frozen=True, slots=True)
class ResultSet:
    """The rows of one statement: column labels, a converter per column, batches of raw rows."""

    columns: Sequence[str]
    converters: Sequence[Converter | None]
    batches: Callable[[int], Iterator[Sequence[Sequence[Any]]]]

    def rows(self, size: int) -> Iterator[dict[str, Any]]:
        for batch in self.batches(size):
            for values in batch:
                yield to_row(self.columns, self.converters, values)


class Session(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] | None, *, fetch_size: int) -> ResultSet | None:
        """Run one statement; its result set, or ``None`` when it returns no rows (DDL, DML)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def interrupt(self) -> None:
        """Called from another thread when the attempt is killed or times out."""


class Binding(Protocol):
    def __call__(self, sql: str, parameters: Mapping[str, Any]) -> tuple[str, list[Any]]: ...


def question_marks(sql: str, parameters: Mapping[str, Any]) -> tuple[str, list[Any]]:
    return bind_named(sql, parameters, lambda _: "?")


class JdbcConnection(KestraModel):
    url: str | None = dynamic(None, description="The JDBC URL to connect to the database.")
    username: str | None = dynamic(None, description="The database user.")
    password: str | None = dynamic(None, description="The database user's password.")


class JdbcQueryProperties(JdbcConnection):
    """``sql``, ``fetchType``, ``fetchSize``, ``parameters``, ``timeZoneId`` and ``afterSQL``."""

    sql: str = dynamic(description="The SQL statement(s) to run.")
    after_sql: str | None = dynamic(
        None,
        alias="afterSQL",
        description="A single statement run after `sql` in the same transaction (e.g. mark rows as read).",
    )
    fetch_type: FetchType | str = dynamic(
        FetchType.NONE,
        description="FETCH_ONE: the first row in `row`; FETCH: every row in `rows`; STORE: the rows in an "
        "ION file of internal storage (`uri`); NONE: nothing.",
    )
    fetch_size: int | str = dynamic(10000, description="Rows fetched per round trip to the database (STORE).")
    parameters: dict[str, Any] | str | None = dynamic(
        None, description="Values bound to the `:name` placeholders of the SQL (prepared statement)."
    )
    time_zone_id: str | None = dynamic(
        None, description="Time zone of date/time values; default: the worker's time zone."
    )
    store: bool = Field(False, description="Deprecated: `fetchType: STORE`.")
    fetch: bool = Field(False, description="Deprecated: `fetchType: FETCH`.")
    fetch_one: bool = Field(False, description="Deprecated: `fetchType: FETCH_ONE`.")

    @field_validator("fetch_type", mode="before")
    @classmethod
    def _known_fetch_type(cls, value: Any) -> Any:
        if isinstance(value, str) and "{{" not in value and value not in FetchType.__members__:
            raise ValueError(f"`fetchType` must be one of {', '.join(FetchType)}, got `{value}`")
        return value

    def resolved_fetch_type(self, render: Callable[[Any], Any]) -> FetchType:
        if self.fetch:
            return FetchType.FETCH
        if self.fetch_one:
            return FetchType.FETCH_ONE
        if self.store:
            return FetchType.STORE
        rendered = str(render(self.fetch_type)).strip()
        try:
            return FetchType(rendered)
        except ValueError:
            raise TaskFailure(
                f"`fetchType` must be one of {', '.join(FetchType)}, got `{rendered}`"
            ) from None

    def resolved_fetch_size(self, render: Callable[[Any], Any]) -> int:
        rendered = render(self.fetch_size)
        try:
            size = int(rendered)
        except (TypeError, ValueError):
            raise TaskFailure(f"`fetchSize` must be an integer, got `{rendered}`") from None
        return size if size > 0 else 10000

    def resolved_parameters(self, render: Callable[[Any], Any]) -> dict[str, Any] | None:
        if self.parameters is None:
            return None
        rendered = render(self.parameters)
        if isinstance(rendered, str):
            try:
                rendered = orjson.loads(rendered) if rendered.strip() else {}
            except orjson.JSONDecodeError:
                raise TaskFailure("`parameters` must be a map") from None
        if not isinstance(rendered, dict):
            raise TaskFailure(f"`parameters` must be a map, got {type(rendered).__name__}")
        return {str(key): value for key, value in rendered.items()}


# -- outputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Destination:
    """Where STORE files go: a local directory, then internal storage."""

    directory: Path
    upload: Callable[[Path], str]


def task_destination(ctx: RunContext) -> Destination:
    return Destination(directory=ctx.working_dir, upload=ctx.put_file)


def fetch_outputs(
    result: ResultSet, fetch_type: FetchType, fetch_size: int, destination: Destination
) -> dict[str, Any]:
    """One result set as Kestra's ``Output``: ``row``/``rows``/``uri`` and ``size``."""
    if fetch_type is FetchType.FETCH_ONE:
        first = next(result.rows(1), None)
        return {"row": None if first is None else json_row(first), "size": 0 if first is None else 1}
    if fetch_type is FetchType.FETCH:
        rows = [json_row(row) for row in result.rows(fetch_size)]
        return {"rows": rows, "size": len(rows)}
    if fetch_type is FetchType.STORE:
        path = destination.directory / f"{uuid.uuid4().hex}.ion"
        size = write_ion_rows(path, result, fetch_size)
        return {"uri": destination.upload(path), "size": size}
    return {}


def write_ion_rows(path: Path, result: ResultSet, fetch_size: int) -> int:
    """Rows as Kestra stores them (one ION struct per line), written as each batch arrives."""
    count = 0
    encode = row_encoder(result.columns, result.converters)
    with path.open("w", encoding="utf-8", buffering=_WRITE_BUFFER) as handle:
        for batch in result.batches(fetch_size):
            handle.write("\n".join(map(encode, batch)) + "\n")
            count += len(batch)
    return count


def metric_tags(fetch_type: FetchType) -> dict[str, str]:
    fetching = fetch_type in (FetchType.FETCH, FetchType.FETCH_ONE)
    return {"fetch": str(fetching).lower(), "store": str(fetch_type is FetchType.STORE).lower()}


# -- running -------------------------------------------------------------------------------------


@contextmanager
def interrupt_on_cancel(session: Session) -> Iterator[None]:
    """Interrupt the running statement when the attempt is killed or times out."""
    token = current_token()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if token.wait(0.2):
                session.interrupt()
                return

    watcher = threading.Thread(target=watch, name="jdbc-cancel", daemon=True)
    watcher.start()
    try:
        yield
    except DatabaseError as error:
        if token.cancelled:
            raise TaskKilledError(f"query interrupted: {token.reason}") from None
        raise TaskFailure(str(error)) from None
    finally:
        done.set()
        watcher.join(1)


@dataclass(frozen=True, slots=True)
class Statements:
    statements: list[str]
    parameters: dict[str, Any] | None
    fetch_type: FetchType
    fetch_size: int
    after_sql: str | None


def prepare(
    spec: JdbcQueryProperties,
    render: Callable[[Any], Any],
    *,
    single: bool,
) -> Statements:
    render_all = render
    sql = str(render_all(spec.sql) or "")
    statements = split_statements(sql)
    if not statements:
        raise TaskFailure("`sql` is empty")
    if single and len(statements) > 1:
        raise TaskFailure(SINGLE_STATEMENT)
    after = split_statements(str(render_all(spec.after_sql))) if spec.after_sql else []
    if len(after) > 1:
        raise TaskFailure("`afterSQL` supports only a single SQL statement")
    return Statements(
        statements=statements,
        parameters=spec.resolved_parameters(render_all),
        fetch_type=spec.resolved_fetch_type(render_all),
        fetch_size=spec.resolved_fetch_size(render_all),
        after_sql=after[0] if after else None,
    )


def bound(binding: Binding, sql: str, parameters: dict[str, Any] | None) -> tuple[str, list[Any] | None]:
    if parameters is None:
        return sql, None
    try:
        text, values = binding(sql, parameters)
    except ParameterError as error:
        raise TaskFailure(str(error)) from None
    return text, values


def run_query(
    plan: Statements, session: Session, binding: Binding, destination: Destination
) -> dict[str, Any]:
    """The statements in one transaction; the outputs of the last one (Kestra's Query)."""
    outputs: dict[str, Any] = {}
    with interrupt_on_cancel(session):
        try:
            for index, statement in enumerate(plan.statements):
                sql, values = bound(binding, statement, plan.parameters)
                result = session.execute(sql, values, fetch_size=plan.fetch_size)
                if result is not None and index == len(plan.statements) - 1:
                    outputs = fetch_outputs(result, plan.fetch_type, plan.fetch_size, destination)
            if plan.after_sql:
                sql, values = bound(binding, plan.after_sql, plan.parameters)
                session.execute(sql, values, fetch_size=plan.fetch_size)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return outputs


def run_queries(
    plan: Statements, session: Session, binding: Binding, destination: Destination, *, transaction: bool
) -> list[dict[str, Any]]:
    """Every statement (one transaction unless ``transaction: false``); an output per result set."""
    outputs: list[dict[str, Any]] = []
    with interrupt_on_cancel(session):
        try:
            for statement in plan.statements:
                sql, values = bound(binding, statement, plan.parameters)
                result = session.execute(sql, values, fetch_size=plan.fetch_size)
                if result is not None:
                    outputs.append(fetch_outputs(result, plan.fetch_type, plan.fetch_size, destination))
                if not transaction:
                    session.commit()
            if plan.after_sql:
                sql, values = bound(binding, plan.after_sql, plan.parameters)
                session.execute(sql, values, fetch_size=plan.fetch_size)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return outputs


def total_size(outputs: Sequence[Mapping[str, Any]]) -> int:
    return sum(int(output.get("size") or 0) for output in outputs)


@contextmanager
def scratch_destination(upload: Callable[[Path], str]) -> Iterator[Destination]:
    """For triggers, which have no working directory: a temporary one."""
    with tempfile.TemporaryDirectory(prefix="kestra-jdbc-") as directory:
        yield Destination(directory=Path(directory), upload=upload)


SessionFactory = Callable[[bool], AbstractContextManager[Session]]


@contextmanager
def driver_errors(*errors: type[BaseException]) -> Iterator[None]:
    """Driver exceptions as :class:`DatabaseError`, keeping the driver's message."""
    try:
        yield
    except errors as error:
        raise DatabaseError(driver_message(error)) from None


def driver_message(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__


def guarded_batches(
    fetch: Callable[[int], Sequence[Sequence[Any]]], *errors: type[BaseException]
) -> Callable[[int], Iterator[Sequence[Sequence[Any]]]]:
    """``fetchmany``-style reads as batches, driver errors raised as :class:`DatabaseError`."""

    def batches(size: int) -> Iterator[Sequence[Sequence[Any]]]:
        while True:
            with driver_errors(*errors):
                batch = fetch(size)
            if not batch:
                return
            yield batch

    return batches


@contextmanager
def opened(open_session: SessionFactory, transactional: bool) -> Iterator[Session]:
    """A session; ``transactional``: statements in one transaction, else each committed (autocommit)."""
    try:
        with open_session(transactional) as session:
            yield session
    except DatabaseError as error:
        raise TaskFailure(str(error)) from None


def run_query_task(
    spec: JdbcQueryProperties,
    ctx: RunContext,
    open_session: SessionFactory,
    binding: Binding,
    *,
    render: Callable[[Any], Any] | None = None,
    single: bool = True,
) -> dict[str, Any]:
    plan = prepare(spec, render or ctx.render, single=single)
    with opened(open_session, plan.after_sql is not None) as session:
        outputs = run_query(plan, session, binding, task_destination(ctx))
    ctx.metric("fetch.size", "counter", float(outputs.get("size") or 0), metric_tags(plan.fetch_type))
    return outputs


def run_queries_task(
    spec: JdbcQueryProperties,
    ctx: RunContext,
    open_session: SessionFactory,
    binding: Binding,
    *,
    transaction: bool,
    render: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    plan = prepare(spec, render or ctx.render, single=False)
    with opened(open_session, transaction) as session:
        outputs = run_queries(plan, session, binding, task_destination(ctx), transaction=transaction)
    ctx.metric("fetch.size", "counter", float(total_size(outputs)), metric_tags(plan.fetch_type))
    return {"outputs": outputs}


def evaluate_trigger(
    spec: JdbcQueryProperties,
    trigger_id: str,
    ctx: TriggerRunContext,
    open_session: Callable[[Path, bool], AbstractContextManager[Session]],
    binding: Binding,
) -> dict[str, Any] | None:
    """One poll: run the query; an execution (these variables) only when it returned rows."""
    plan = prepare(spec, ctx.render, single=True)
    if plan.fetch_type is FetchType.NONE:
        raise TaskFailure("a JDBC Trigger needs `fetchType` FETCH_ONE, FETCH or STORE to see rows")
    storage = ctx.storage

    def upload(path: Path) -> str:
        if storage is None:
            raise TaskFailure("`fetchType: STORE` needs internal storage")
        with path.open("rb") as handle:
            prefix = f"/{ctx.namespace.replace('.', '/')}/{ctx.flow_id}/triggers/{trigger_id}"
            return storage.put(f"{prefix}/{path.name}", handle)

    with (
        scratch_destination(upload) as destination,
        opened(
            lambda transactional: open_session(destination.directory, transactional),
            plan.after_sql is not None,
        ) as session,
    ):
        outputs = run_query(plan, session, binding, destination)
    return outputs if outputs.get("size") else None
