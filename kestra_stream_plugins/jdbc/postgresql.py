"""``io.kestra.plugin.jdbc.postgresql.*``: Query, Queries, CopyIn, CopyOut and Trigger on psycopg 3.

Connections come from a pool per worker process and connection settings (``psycopg_pool``): a
task borrows one connection for its statements and gives it back. Result sets are streamed
(libpq's chunked rows, ``fetchSize`` rows at a time), so STORE of any size holds one batch in memory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import Field

from kestra_stream.models.payload import Payload
from kestra_stream.plugins.base import PollingTrigger, RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.scheduler.plugins import TriggerRunContext
from kestra_stream_plugins.jdbc._query import (
    DatabaseError,
    JdbcConnection,
    JdbcQueryProperties,
    QueriesOutputs,
    QueryOutputs,
    Session,
    evaluate_trigger,
    run_queries_task,
    run_query_task,
)
from kestra_stream_plugins.jdbc._values import zone_of

if TYPE_CHECKING:
    import psycopg

SCHEME = "jdbc:postgresql:"


class SslMode(StrEnum):
    DISABLE = "DISABLE"
    ALLOW = "ALLOW"
    PREFER = "PREFER"
    REQUIRE = "REQUIRE"
    VERIFY_CA = "VERIFY_CA"
    VERIFY_FULL = "VERIFY_FULL"


# -- connection settings -------------------------------------------------------------------------

# JDBC URL parameters and the libpq keyword each becomes
_URL_PARAMETERS = {
    "user": "user",
    "password": "password",
    "sslmode": "sslmode",
    "sslrootcert": "sslrootcert",
    "sslcert": "sslcert",
    "sslkey": "sslkey",
    "applicationname": "application_name",
    "connecttimeout": "connect_timeout",
    "logintimeout": "connect_timeout",
    "options": "options",
    "targetservertype": "target_session_attrs",
}


def connection_settings(url: str) -> dict[str, str]:
    """libpq keywords of a ``jdbc:postgresql://host[:port][,host2...]/database?param=value`` URL."""
    if not url.startswith(SCHEME):
        raise TaskFailure(f"URL scheme is invalid. URL should start with `{SCHEME.rstrip(':')}`")
    rest = url[len(SCHEME) :]
    settings: dict[str, str] = {}
    if rest.startswith("//"):
        parts = urlsplit("postgresql:" + rest)
        hosts, ports = [], []
        for address in parts.netloc.rsplit("@", 1)[-1].split(","):
            host, _, port = address.rpartition(":") if ":" in address.strip("[]") else (address, "", "")
            hosts.append(unquote(host or address).strip("[]") or "localhost")
            ports.append(port or "5432")
        settings["host"] = ",".join(hosts)
        settings["port"] = ",".join(ports)
        database, query = parts.path.lstrip("/"), parts.query
    else:
        database, _, query = rest.partition("?")
    if database:
        settings["dbname"] = unquote(database)
    for key, value in parse_qsl(query, keep_blank_values=True):
        lowered = key.lower()
        if lowered == "ssl":
            if value.lower() in ("", "true"):
                settings.setdefault("sslmode", "require")
        elif lowered == "currentschema":
            settings["options"] = f"-c search_path={value}"
        elif lowered in _URL_PARAMETERS:
            settings[_URL_PARAMETERS[lowered]] = value
        else:
            raise TaskFailure(
                f"URL parameter `{key}` is not supported (supported: ssl, currentSchema, "
                f"{', '.join(sorted(set(_URL_PARAMETERS)))})"
            )
    return settings


class PostgresConnection(JdbcConnection):
    """URL, credentials and the SSL properties of Kestra's PostgresConnectionInterface."""

    url: str | None = dynamic(
        None,
        description="`jdbc:postgresql://HOST:PORT/DATABASE` (JDBC URL parameters: "
        "ssl, sslmode, currentSchema, ApplicationName, connectTimeout...).",
    )
    ssl: bool = Field(
        False, description="Connect with SSL (sslmode `require` unless `sslMode` says otherwise)."
    )
    ssl_mode: SslMode | None = Field(
        None, description="DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA or VERIFY_FULL."
    )
    ssl_root_cert: str | None = dynamic(None, description="PEM certificate of the certificate authority.")
    ssl_cert: str | None = dynamic(None, description="PEM client certificate.")
    ssl_key: str | None = dynamic(None, description="PEM client key.")
    ssl_key_password: str | None = dynamic(None, description="Password of the client key.")

    def settings(self, render: Callable[[Any], Any]) -> dict[str, str]:
        url = str(render(self.url) or "")
        if not url:
            raise TaskFailure("`url` is required (e.g. `jdbc:postgresql://127.0.0.1:5432/postgres`)")
        settings = connection_settings(url)
        if self.username is not None:
            settings["user"] = as_text(render(self.username))
        if self.password is not None:
            settings["password"] = as_text(render(self.password))
        if self.ssl:
            settings.setdefault("sslmode", "require")
        if self.ssl_mode is not None:
            settings["sslmode"] = self.ssl_mode.value.lower().replace("_", "-")
        for keyword, value in (
            ("sslrootcert", self.ssl_root_cert),
            ("sslcert", self.ssl_cert),
            ("sslkey", self.ssl_key),
        ):
            if value is not None:
                settings[keyword] = _pem_file(as_text(render(value)))
        if self.ssl_key_password is not None:
            settings["sslpassword"] = as_text(render(self.ssl_key_password))
        return settings


_PEM_DIR: Path | None = None
_PEM_LOCK = threading.Lock()


def _pem_file(content: str) -> str:
    """A PEM text as a private file (libpq reads certificates from paths), kept for the pool's life."""
    global _PEM_DIR
    with _PEM_LOCK:
        if _PEM_DIR is None:
            _PEM_DIR = Path(tempfile.mkdtemp(prefix="kestra-pg-ssl-"))
        path = _PEM_DIR / hashlib.sha256(content.encode()).hexdigest()
        if not path.exists():
            path.write_text(content)
            os.chmod(path, 0o600)
    return str(path)


# -- the pools of this worker --------------------------------------------------------------------


class PostgresProperties(JdbcQueryProperties, PostgresConnection):
    @contextmanager
    def _session(self, render: Callable[[Any], Any], transactional: bool) -> Iterator[Session]:
        settings = self.settings(render)
        try:
            zone = zone_of(str(render(self.time_zone_id)) if self.time_zone_id else None)
        except ValueError as error:
            raise TaskFailure(str(error)) from None
        from kestra_stream_plugins.jdbc import _postgresql_driver as driver

        with driver.borrowed(settings) as connection:
            yield driver.PostgresSession(connection, zone, transactional=transactional)


class Query(RunnableTask, PostgresProperties):
    """Run one SQL statement on PostgreSQL (``io.kestra.plugin.jdbc.postgresql.Query``)."""

    outputs_model = QueryOutputs

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        from kestra_stream_plugins.jdbc._postgresql_driver import percent_placeholders

        return run_query_task(
            self, ctx, lambda transactional: self._session(ctx.render, transactional), percent_placeholders
        )


class Queries(RunnableTask, PostgresProperties):
    """Run several SQL statements on PostgreSQL, in one transaction unless ``transaction: false``."""

    outputs_model = QueriesOutputs

    transaction: bool = Field(True, description="All statements in one transaction, rolled back on error.")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        from kestra_stream_plugins.jdbc._postgresql_driver import percent_placeholders

        return run_queries_task(
            self,
            ctx,
            lambda transactional: self._session(ctx.render, transactional),
            percent_placeholders,
            transaction=self.transaction,
        )


class Trigger(PollingTrigger, PostgresProperties):
    """Poll a PostgreSQL query every ``interval``; an execution when it returns rows."""

    outputs_model = QueryOutputs

    def evaluate(self, ctx: TriggerRunContext) -> dict[str, Any] | None:
        from kestra_stream_plugins.jdbc._postgresql_driver import percent_placeholders

        return evaluate_trigger(
            self,
            self.id,
            ctx,
            lambda directory, transactional: self._session(ctx.render, transactional),
            percent_placeholders,
        )


# -- COPY ----------------------------------------------------------------------------------------


class CopyFormat(StrEnum):
    TEXT = "TEXT"
    CSV = "CSV"
    BINARY = "BINARY"


def _literal(value: str) -> str:
    """A one-character COPY option: ``\\t`` and friends as escape strings, others quoted."""
    escapes = {"\\t": "\t", "\\n": "\n", "\\r": "\r"}
    value = escapes.get(value, value)
    if value in ("\t", "\n", "\r"):
        return "E'" + {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[value] + "'"
    return "'" + value.replace("'", "''") + "'"


class _Copy(RunnableTask, PostgresConnection):
    table: str | None = dynamic(None, description="The (optionally schema-qualified) table.")
    columns: list[str] | str | None = dynamic(None, description="Columns to copy (default: all).")
    format: CopyFormat = Field(CopyFormat.TEXT, description="TEXT, CSV or BINARY.")
    oids: bool | None = Field(None, description="Copy the OID of each row (PostgreSQL < 12).")
    freeze: bool | None = Field(None, description="Rows already frozen (COPY FROM of a new table).")
    delimiter: str | None = dynamic(None, description="Column separator (one character).")
    null_string: str | None = dynamic(None, description="The text of a NULL value.")
    header: bool | None = Field(None, description="A header line (CSV).")
    quote: str | None = dynamic(None, description="The quoting character (CSV).")
    escape: str | None = dynamic(None, description="The escape character (CSV).")
    force_quote: list[str] | str | None = dynamic(None, description="Columns always quoted (CSV, COPY TO).")
    force_not_null: list[str] | str | None = dynamic(None, description="Columns never NULL (CSV, COPY FROM).")
    force_null: list[str] | str | None = dynamic(
        None, description="Quoted empty strings as NULL (CSV, COPY FROM)."
    )
    encoding: str | None = dynamic(None, description="The file's encoding.")
    socket_timeout: int | None = Field(None, description="Seconds a server read may take (0: no limit).")

    def _statement(self, ctx: RunContext, source: str, direction: str) -> str:
        options: list[str] = []
        if self.format is not CopyFormat.TEXT:
            options.append(f"FORMAT {self.format.value}")
        if self.oids:
            options.append("OIDS")
        if self.freeze:
            options.append("FREEZE")
        for keyword, value in (("DELIMITER", self.delimiter), ("NULL", self.null_string)):
            if value is not None:
                options.append(f"{keyword} {_literal(as_text(ctx.render(value)))}")
        if self.header is not None:
            options.append(f"HEADER {'TRUE' if self.header else 'FALSE'}")
        for keyword, value in (("QUOTE", self.quote), ("ESCAPE", self.escape)):
            if value is not None:
                options.append(f"{keyword} {_literal(as_text(ctx.render(value)))}")
        force_quote = [as_text(item) for item in as_list(ctx.render(self.force_quote))]
        if force_quote:
            options.append("FORCE_QUOTE " + ("*" if force_quote == ["*"] else f"({', '.join(force_quote)})"))
        for keyword, columns in (("FORCE_NOT_NULL", self.force_not_null), ("FORCE_NULL", self.force_null)):
            names = [as_text(item) for item in as_list(ctx.render(columns))]
            if names:
                options.append(f"{keyword} ({', '.join(names)})")
        if self.encoding is not None:
            options.append(f"ENCODING {_literal(as_text(ctx.render(self.encoding)))}")
        statement = f"COPY {source} {direction}"
        return statement + (f" WITH ({', '.join(options)})" if options else "")

    def _table(self, ctx: RunContext) -> str:
        if self.table is None:
            raise TaskFailure("`table` is required")
        table = as_text(ctx.render(self.table))
        columns = [as_text(item) for item in as_list(ctx.render(self.columns))]
        return table + (f" ({', '.join(columns)})" if columns else "")

    @contextmanager
    def _connection(self, ctx: RunContext) -> Iterator[psycopg.Connection[Any]]:
        settings = self.settings(ctx.render)
        if self.socket_timeout:
            settings["options"] = (
                settings.get("options", "") + f" -c statement_timeout={int(self.socket_timeout) * 1000}"
            ).strip()
        from kestra_stream_plugins.jdbc._postgresql_driver import borrowed

        try:
            with borrowed(settings) as connection:
                connection.autocommit = True
                yield connection
        except DatabaseError as error:
            raise TaskFailure(str(error)) from None


class CopyInOutputs(Payload):
    row_count: int = Field(description="The rows copied into the table.")


class CopyOutOutputs(Payload):
    uri: str = Field(description="The copied rows' file in internal storage.")
    row_count: int = Field(description="The rows copied.")


class CopyIn(_Copy):
    """Load a file of internal storage into a table (``COPY ... FROM STDIN``); output ``rowCount``."""

    outputs_model = CopyInOutputs

    from_: str = dynamic(alias="from", description="The file's kestra:// URI.")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        statement = self._statement(ctx, self._table(ctx), "FROM STDIN")
        local = ctx.get_file(as_text(ctx.render(self.from_)), ctx.working_dir / "copy-in")
        ctx.logger.debug(f"Starting query: {statement}")
        from kestra_stream_plugins.jdbc._postgresql_driver import copy_in

        with self._connection(ctx) as connection:
            rows = copy_in(connection, statement, local)
        ctx.metric("rows", "counter", float(rows))
        return {"rowCount": rows}


class CopyOut(_Copy):
    """Copy a table or a query's rows into internal storage (``COPY ... TO STDOUT``)."""

    outputs_model = CopyOutOutputs

    sql: str | None = dynamic(None, description="A SELECT, VALUES, or INSERT/UPDATE/DELETE ... RETURNING.")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        source = f"({as_text(ctx.render(self.sql))})" if self.sql is not None else self._table(ctx)
        statement = self._statement(ctx, source, "TO STDOUT")
        path = ctx.working_dir / "copy-out"
        ctx.logger.debug(f"Starting query: {statement}")
        from kestra_stream_plugins.jdbc._postgresql_driver import copy_out

        with self._connection(ctx) as connection:
            rows = copy_out(connection, statement, path)
        ctx.metric("rows", "counter", float(rows))
        return {"uri": ctx.put_file(path), "rowCount": rows}


PLUGINS = (
    (Query, "io.kestra.plugin.jdbc.postgresql.Query"),
    (Queries, "io.kestra.plugin.jdbc.postgresql.Queries"),
    (CopyIn, "io.kestra.plugin.jdbc.postgresql.CopyIn"),
    (CopyOut, "io.kestra.plugin.jdbc.postgresql.CopyOut"),
    (Trigger, "io.kestra.plugin.jdbc.postgresql.Trigger"),
)
