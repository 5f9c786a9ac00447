"""SQL scanning (statements, ``:name`` parameters) and the Kestra typing of cell values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kestra_stream import ion as _ion
from kestra_stream.plugins import registry
from kestra_stream.plugins.registry import ENTRY_POINT_GROUP
from kestra_stream_plugins.jdbc._sql import ParameterError, bind_named, split_statements
from kestra_stream_plugins.jdbc._values import Instant, ion_struct, json_row


def test_split_keeps_semicolons_of_literals_comments_and_dollar_bodies() -> None:
    sql = """
    INSERT INTO t VALUES ('a;b', "c;d"); -- trailing; comment
    CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
    /* block; comment */ SELECT 'it''s; fine';
    ;
    """
    assert split_statements(sql) == [
        "INSERT INTO t VALUES ('a;b', \"c;d\")",
        "-- trailing; comment\n    CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
        "/* block; comment */ SELECT 'it''s; fine'",
    ]
    assert split_statements("SELECT 1;\n-- only a comment\n") == ["SELECT 1"]


def test_bind_named_skips_casts_and_literals() -> None:
    sql, values = bind_named(
        "SELECT :a::int, ':not', :b, :a FROM t WHERE x LIKE '%z'", {"a": 1, "b": "two"}, lambda i: f"${i + 1}"
    )
    assert sql == "SELECT $1::int, ':not', $2, $3 FROM t WHERE x LIKE '%z'"
    assert values == [1, "two", 1]
    escaped, _ = bind_named("SELECT '%' || :a", {"a": 1}, lambda _: "%s", escape_percent=True)
    assert escaped == "SELECT '%%' || %s"
    with pytest.raises(ParameterError, match="no `c`"):
        bind_named("SELECT :c", {"a": 1}, lambda _: "?")


def test_ion_types_follow_kestras_ion_module() -> None:
    paris = ZoneInfo("Europe/Paris")
    row = {
        "date": dt.date(2024, 1, 2),
        "instant": Instant.of(dt.datetime(2024, 1, 2, 10, 0, 0, 123456, tzinfo=dt.UTC)),
        "zoned": dt.datetime(2024, 1, 2, 11, 0, 0, 500000, tzinfo=paris),
        "offset": dt.datetime(2024, 1, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "local": dt.datetime(2024, 1, 2, 11, 0),
        "time": dt.time(9, 30),
        "decimal": Decimal("10.50"),
        "whole": Decimal("3"),
        "float": 1.0,
        "bytes": b"hi",
        "list": [1, None, "x"],
        "json": {"k": {"deep": True}},
        "odd name": "quoted",
    }
    assert ion_struct(row) == (
        "{date:2024-01-02,instant:2024-01-02T10:00:00.123Z,"
        'zoned:ZonedDateTime::"2024-01-02T11:00:00.5+01:00[Europe/Paris]",'
        'offset:OffsetDateTime::"2024-01-02T11:00:00+01:00",local:LocalDateTime::"2024-01-02T11:00:00",'
        'time:LocalTime::"09:30:00",decimal:10.50,whole:3.,float:1.0e0,bytes:{{aGk=}},'
        'list:[1,null,"x"],json:{k:{deep:true}},\'odd name\':"quoted"}'
    )
    parsed = _ion.loads(ion_struct(row))
    assert parsed["decimal"] == Decimal("10.50") and parsed["date"] == dt.date(2024, 1, 2)
    assert json_row(row) == {
        "date": "2024-01-02",
        "instant": "2024-01-02T10:00:00.123456Z",
        "zoned": "2024-01-02T11:00:00.5+01:00",
        "offset": "2024-01-02T11:00:00+01:00",
        "local": "2024-01-02T11:00:00",
        "time": "09:30:00",
        "decimal": 10.5,
        "whole": 3,
        "float": 1.0,
        "bytes": "aGk=",
        "list": [1, None, "x"],
        "json": {"k": {"deep": True}},
        "odd name": "quoted",
    }


def test_family_registers_through_the_entry_point() -> None:
    import importlib.metadata

    points = {point.name: point.value for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert points["jdbc"] == "kestra_stream_plugins.jdbc:register"
    for name in ("sqlite", "duckdb"):
        for kind in ("Query", "Queries", "Trigger"):
            assert f"io.kestra.plugin.jdbc.{name}.{kind}" in registry


def test_jdbc_postgresql_urls_become_libpq_settings() -> None:
    from kestra_stream.runtime.errors import TaskFailure
    from kestra_stream_plugins.jdbc.postgresql import Query, connection_settings

    assert connection_settings("jdbc:postgresql://db.example:6543/sales?ssl=true&currentSchema=app") == {
        "host": "db.example",
        "port": "6543",
        "dbname": "sales",
        "sslmode": "require",
        "options": "-c search_path=app",
    }
    assert connection_settings("jdbc:postgresql://a,b:5433/x?user=u&password=p&ApplicationName=k") == {
        "host": "a,b",
        "port": "5432,5433",
        "dbname": "x",
        "user": "u",
        "password": "p",
        "application_name": "k",
    }
    assert connection_settings("jdbc:postgresql://127.0.0.1/") == {"host": "127.0.0.1", "port": "5432"}
    with pytest.raises(TaskFailure, match="`prepareThreshold` is not supported"):
        connection_settings("jdbc:postgresql://h/db?prepareThreshold=0")
    with pytest.raises(TaskFailure, match="should start with `jdbc:postgresql`"):
        connection_settings("jdbc:mysql://h/db")
    task = Query.model_validate(
        {
            "id": "q",
            "type": "io.kestra.plugin.jdbc.postgresql.Query",
            "url": "jdbc:postgresql://h/db",
            "username": "u",
            "password": "p",
            "sql": "SELECT 1",
            "sslMode": "VERIFY_FULL",
            "sslRootCert": "-----BEGIN CERTIFICATE-----\n",
        }
    )
    settings = task.settings(lambda value: value)
    assert settings["sslmode"] == "verify-full" and settings["user"] == "u" and settings["password"] == "p"
    with open(settings["sslrootcert"]) as handle:
        assert handle.read() == "-----BEGIN CERTIFICATE-----\n"
