"""The psycopg side of ``io.kestra.plugin.jdbc.postgresql``: the pools, sessions and COPY streams.

Imported only when a PostgreSQL task or trigger runs, so that processes which merely parse flows
(executor, scheduler, webserver, the CLI) start without loading psycopg.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, cast

import psycopg
import psycopg_pool
from psycopg.conninfo import make_conninfo
from psycopg.postgres import types as pg_types
from psycopg.types.json import Jsonb

from kestra_stream_plugins.jdbc._query import (
    DatabaseError,
    ResultSet,
    driver_errors,
    driver_message,
    interrupt_on_cancel,
)
from kestra_stream_plugins.jdbc._sql import bind_named
from kestra_stream_plugins.jdbc._values import Converter, in_zone, iso_duration, textual

POOL_SIZE = 10
POOL_TIMEOUT = 30.0
_NO_RESULT = "didn't produce a result"
_COPY_CHUNK = 1 << 20


def _oid(name: str) -> int:
    info = pg_types.get(name)
    assert info is not None
    return info.oid


_TIMESTAMPTZ = _oid("timestamptz")
_TIMETZ = _oid("timetz")
_INTERVAL = _oid("interval")
_TEXTUAL = frozenset(_oid(name) for name in ("uuid", "inet", "cidr", "macaddr", "money", "xml"))


class _Pools:
    """One ``psycopg_pool.ConnectionPool`` per distinct connection settings, for the process' life."""

    def __init__(self) -> None:
        self._pools: dict[str, psycopg_pool.ConnectionPool[psycopg.Connection[Any]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(settings: Mapping[str, str]) -> str:
        return hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()

    def pool(self, settings: Mapping[str, str]) -> psycopg_pool.ConnectionPool[psycopg.Connection[Any]]:
        key = self._key(settings)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                return pool
        # A first connection outside the pool: an unreachable server or a wrong password fails the
        # task at once with libpq's message instead of after the pool's wait.
        with driver_errors(psycopg.Error):
            _probe(settings)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = psycopg_pool.ConnectionPool(
                    kwargs=dict(settings),
                    min_size=0,
                    max_size=POOL_SIZE,
                    max_idle=300.0,
                    timeout=POOL_TIMEOUT,
                    open=True,
                    name=f"jdbc-{key[:8]}",
                )
                self._pools[key] = pool
            return pool

    def forget(self, settings: Mapping[str, str]) -> None:
        with self._lock:
            pool = self._pools.pop(self._key(settings), None)
        if pool is not None:
            pool.close(timeout=1.0)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close(timeout=1.0)

    def stats(self) -> list[dict[str, int]]:
        with self._lock:
            return [pool.get_stats() for pool in self._pools.values()]


POOLS = _Pools()


def _probe(settings: Mapping[str, str]) -> None:
    psycopg.connect(make_conninfo("", **settings)).close()


@contextmanager
def borrowed(settings: Mapping[str, str]) -> Iterator[psycopg.Connection[Any]]:
    pool = POOLS.pool(settings)
    try:
        connection = pool.getconn()
    except psycopg_pool.PoolTimeout:
        try:  # the server may have gone away: its own message says more than the pool's timeout
            _probe(settings)
        except psycopg.Error as error:
            POOLS.forget(settings)
            raise DatabaseError(driver_message(error)) from None
        raise DatabaseError(
            f"no free connection in this worker's pool ({POOL_SIZE} connections) within {POOL_TIMEOUT:.0f} s"
        ) from None
    try:
        yield connection
    finally:
        pool.putconn(connection)


# -- values --------------------------------------------------------------------------------------


def _converters(description: Sequence[Any], zone: dt.tzinfo) -> list[Converter | None]:
    zoned = in_zone(zone)

    def local_time(value: Any) -> Any:
        if isinstance(value, dt.time) and value.tzinfo is not None:
            return dt.datetime.combine(dt.date(1970, 1, 1), value).astimezone(zone).time()
        return value

    converters: list[Converter | None] = []
    for column in description:
        oid = column.type_code
        if oid == _TIMESTAMPTZ:
            converters.append(zoned)
        elif oid == _TIMETZ:
            converters.append(local_time)
        elif oid == _INTERVAL:
            converters.append(iso_duration)
        elif oid in _TEXTUAL:
            converters.append(textual)
        else:
            converters.append(None)
    return converters


def _parameter(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, Mapping) else value


def percent_placeholders(sql: str, parameters: Mapping[str, Any]) -> tuple[str, list[Any]]:
    text, values = bind_named(sql, parameters, lambda _: "%s", escape_percent=True)
    return text, [_parameter(value) for value in values]


# -- sessions ------------------------------------------------------------------------------------


class PostgresSession:
    def __init__(self, connection: psycopg.Connection[Any], zone: dt.tzinfo, *, transactional: bool) -> None:
        self._connection = connection
        self._zone = zone
        with driver_errors(psycopg.Error):
            connection.autocommit = not transactional

    def execute(self, sql: str, parameters: Sequence[Any] | None, *, fetch_size: int) -> ResultSet | None:
        cursor = self._connection.cursor()
        query: Any = sql  # a text built at run time (LiteralString is for code)
        stream = cast(Generator[Any, None, None], cursor.stream(query, parameters, size=fetch_size))
        try:
            first = next(stream, None)
        except psycopg.ProgrammingError as error:
            if _NO_RESULT in str(error):  # DDL or DML without RETURNING: it ran, no rows
                return None
            raise DatabaseError(driver_message(error)) from None
        except psycopg.Error as error:
            raise DatabaseError(driver_message(error)) from None
        if first is None:
            return ResultSet(columns=(), converters=(), batches=lambda size: iter(()))
        description = cursor.description or ()
        rest: Iterator[Sequence[Any]] = itertools.chain([first], stream)

        def batches(size: int) -> Iterator[Sequence[Sequence[Any]]]:
            try:
                while True:
                    with driver_errors(psycopg.Error):
                        batch = list(itertools.islice(rest, size))
                    if not batch:
                        return
                    yield batch
            finally:
                stream.close()  # rows not read (FETCH_ONE): psycopg cancels and drains them

        return ResultSet(
            columns=[column.name for column in description],
            converters=_converters(description, self._zone),
            batches=batches,
        )

    def commit(self) -> None:
        if not self._connection.autocommit:
            with driver_errors(psycopg.Error):
                self._connection.commit()

    def rollback(self) -> None:
        if not self._connection.autocommit:
            with suppress(psycopg.Error):
                self._connection.rollback()

    def interrupt(self) -> None:
        with suppress(psycopg.Error):
            self._connection.cancel_safe(timeout=5.0)


class _CopySession:
    """Just enough of a Session for ``interrupt_on_cancel``."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] | None, *, fetch_size: int) -> ResultSet | None:
        raise NotImplementedError

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def interrupt(self) -> None:
        with suppress(psycopg.Error):
            self._connection.cancel_safe(timeout=5.0)


def copy_in(connection: psycopg.Connection[Any], statement: str, local: Path) -> int:
    """``COPY ... FROM STDIN`` of a local file; the rows copied."""
    with interrupt_on_cancel(_CopySession(connection)), driver_errors(psycopg.Error):
        cursor = connection.cursor()
        with cursor.copy(cast(Any, statement)) as copy, local.open("rb") as handle:
            while chunk := handle.read(_COPY_CHUNK):
                copy.write(chunk)
        return max(cursor.rowcount, 0)


def copy_out(connection: psycopg.Connection[Any], statement: str, path: Path) -> int:
    """``COPY ... TO STDOUT`` into a local file; the rows copied."""
    with interrupt_on_cancel(_CopySession(connection)), driver_errors(psycopg.Error):
        cursor = connection.cursor()
        with cursor.copy(cast(Any, statement)) as copy, path.open("wb") as handle:
            for data in copy:
                handle.write(data)
        return max(cursor.rowcount, 0)
