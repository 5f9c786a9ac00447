"""Kestra's ``AbstractAvroConverter``: ION values to records of an Avro schema (given, or inferred
from the first rows), with the text parsing a CSV-born file needs (``"42"`` to an ``int``, ``"t"`` to a
``boolean``, dates with ``dateFormat``...). Shared by ``IonToAvro`` and ``IonToParquet``."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException

from kestra_stream.expressions._java_time import default_zone, parse_with_pattern, zone
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.serdes._base import (
    OnBadLines,
    SerdesTask,
    ion_values,
    rendered_bool,
    rendered_char,
    rendered_enum,
    rendered_int,
    rendered_text,
)

Convert = Callable[[Any], Any]
TRUE_VALUES = ["t", "true", "enabled", "1", "on", "yes"]
FALSE_VALUES = ["f", "false", "disabled", "0", "off", "no", ""]
NULL_VALUES = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "1.#IND",
    "1.#QNAN",
    "NA",
    "n/a",
    "nan",
    "null",
]
_EPOCH = dt.date(1970, 1, 1)
_OFFSET = r"(?:Z|[+-]\d{2}:\d{2})?"
_ISO_DEFAULTS = {
    "yyyy-MM-dd[XXX]": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "HH:mm[:ss][.SSSSSS][XXX]": re.compile(r"\d{2}:\d{2}(?::\d{2})?(?:\.\d{6})?" + _OFFSET),
    "yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]": re.compile(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:\.\d{6})?" + _OFFSET
    ),
}


class BadValue(ValueError):
    """A value that does not fit its schema type (the message names the type and the value)."""


class AvroConverterTask(SerdesTask):
    """The options of Kestra's ``AbstractAvroConverter``."""

    schema_: str | None = dynamic(None, alias="schema")
    number_of_rows_to_scan: int | str = dynamic(100)
    true_values: list[str] | str = dynamic(default_factory=lambda: list(TRUE_VALUES))
    false_values: list[str] | str = dynamic(default_factory=lambda: list(FALSE_VALUES))
    null_values: list[str] | str = dynamic(default_factory=lambda: list(NULL_VALUES))
    date_format: str = dynamic("yyyy-MM-dd[XXX]")
    time_format: str = dynamic("HH:mm[:ss][.SSSSSS][XXX]")
    datetime_format: str = dynamic("yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]")
    decimal_separator: str = dynamic(".")
    strict_schema: bool | str = dynamic(False)
    infer_all_fields: bool | str = dynamic(False)
    time_zone_id: str | None = dynamic(None)
    on_bad_lines: str | None = dynamic(None)

    def avro_schema(self, ctx: RunContext, source: Path) -> dict[str, Any]:
        """The parsed ``schema``, or one inferred from the first ``numberOfRowsToScan`` rows."""
        text = rendered_text(ctx, self.schema_)
        if text is None or not text.strip():
            rows = rendered_int(ctx, self.number_of_rows_to_scan, "numberOfRowsToScan") or 100
            return infer_schema(itertools.islice(ion_values(source), rows))
        try:
            parsed = fastavro.parse_schema(json.loads(text))
        except (ValueError, SchemaParseException) as error:
            raise TaskFailure(f"invalid Avro `schema`: {error}") from None
        if not isinstance(parsed, dict) or parsed.get("type") != "record":
            raise TaskFailure("the Avro `schema` must be a record")
        return parsed

    def records(self, ctx: RunContext, source: Path, schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Each ION row as a record of ``schema``; a bad row fails the task, or is logged and skipped."""
        on_bad = rendered_enum(ctx, self.on_bad_lines, OnBadLines, "onBadLines") or OnBadLines.ERROR
        record = _Compiler(self._options(ctx)).record(schema)
        for number, row in enumerate(ion_values(source), start=1):
            try:
                if isinstance(row, list):
                    row = dict(zip((field["name"] for field in schema["fields"]), row, strict=False))
                if not isinstance(row, Mapping):
                    raise BadValue(f"a row must be a struct or a list, got {type(row).__name__}")
                yield record(row)
            except BadValue as error:
                message = f"row {number} does not match the Avro schema: {error}"
                if on_bad is OnBadLines.ERROR:
                    raise TaskFailure(message) from None
                if on_bad is OnBadLines.WARN:
                    ctx.logger.warn(message + " (skipped)")

    def _options(self, ctx: RunContext) -> _Options:
        def strings(value: list[str] | str) -> frozenset[str]:
            return frozenset(str(item) for item in as_list(ctx.render(value)))

        return _Options(
            true_values=strings(self.true_values),
            false_values=strings(self.false_values),
            null_values=strings(self.null_values),
            date_format=rendered_text(ctx, self.date_format) or "yyyy-MM-dd[XXX]",
            time_format=rendered_text(ctx, self.time_format) or "HH:mm[:ss][.SSSSSS][XXX]",
            datetime_format=rendered_text(ctx, self.datetime_format)
            or "yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]",
            decimal_separator=rendered_char(ctx, self.decimal_separator, "decimalSeparator"),
            strict=bool(rendered_bool(ctx, self.strict_schema, "strictSchema")),
            infer_all=bool(rendered_bool(ctx, self.infer_all_fields, "inferAllFields")),
            zone=zone(rendered_text(ctx, self.time_zone_id), default_zone()),
        )


@dataclass(frozen=True, kw_only=True)
class _Options:
    true_values: frozenset[str]
    false_values: frozenset[str]
    null_values: frozenset[str]
    date_format: str
    time_format: str
    datetime_format: str
    decimal_separator: str
    strict: bool
    infer_all: bool
    zone: dt.tzinfo


def _type_name(schema: Any) -> str:
    if isinstance(schema, dict):
        return str(schema.get("logicalType") or schema.get("type"))
    if isinstance(schema, list):
        return "union"
    return str(schema)


class _Compiler:
    """One converter function per schema node, built once, applied to every row."""

    def __init__(self, options: _Options) -> None:
        self.options = options

    def node(self, schema: Any) -> Convert:
        if isinstance(schema, list):
            return self.union(schema)
        if isinstance(schema, dict):
            logical = schema.get("logicalType")
            kind = schema.get("type")
            if logical == "decimal":
                return self.decimal(int(schema.get("scale", 0)))
            if logical == "date":
                return self.date
            if logical in ("time-millis", "time-micros"):
                return self.time
            if logical in ("timestamp-millis", "timestamp-micros"):
                return self.timestamp
            if logical in ("local-timestamp-millis", "local-timestamp-micros"):
                return self.local_timestamp
            if kind == "record":
                return self.record(schema)
            if kind == "array":
                item = self.node(schema["items"])
                return lambda value: [item(entry) for entry in self._list(value)]
            if kind == "map":
                entry = self.node(schema["values"])
                return lambda value: {str(k): entry(v) for k, v in self._map(value).items()}
            if kind == "enum":
                return self.enum(schema["symbols"])
            if kind == "fixed":
                return self.bytes_
            return self.node(kind)
        return {
            "null": self.null,
            "boolean": self.boolean,
            "int": self.integer,
            "long": self.integer,
            "float": self.floating,
            "double": self.floating,
            "string": self.string,
            "bytes": self.bytes_,
        }.get(str(schema), self.unknown(str(schema)))

    def record(self, schema: dict[str, Any]) -> Convert:
        fields = [(field["name"], self.node(field["type"]), field) for field in schema["fields"]]
        names = frozenset(name for name, _, _ in fields)
        strict = self.options.strict

        def convert(value: Any) -> dict[str, Any]:
            row = self._map(value)
            if strict:
                extra = [key for key in row if key not in names]
                if extra:
                    raise BadValue(f"fields {extra} are not in the schema (strictSchema)")
            result: dict[str, Any] = {}
            for name, converter, field in fields:
                if name not in row and "default" in field:
                    result[name] = field["default"]
                    continue
                try:
                    result[name] = converter(row.get(name))
                except BadValue as error:
                    raise BadValue(f"field `{name}`: {error}") from None
            return result

        return convert

    def union(self, branches: list[Any]) -> Convert:
        nullable = "null" in branches
        converters = [(self.node(branch), _type_name(branch)) for branch in branches if branch != "null"]
        nulls = self.options.null_values

        def convert(value: Any) -> Any:
            if value is None or (nullable and isinstance(value, str) and value in nulls):
                if nullable:
                    return None
                raise BadValue("null for a non-nullable union")
            errors = []
            for converter, name in converters:
                try:
                    return converter(value)
                except BadValue as error:
                    errors.append(f"{name}: {error}")
            raise BadValue("; ".join(errors))

        return convert

    def null(self, value: Any) -> None:
        if value is None or (isinstance(value, str) and value in self.options.null_values):
            return None
        raise BadValue(f"`{value}` is not null")

    @staticmethod
    def _missing(kind: str) -> BadValue:
        return BadValue(f"null for the non-nullable type {kind}")

    def boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            if value in self.options.true_values:
                return True
            if value in self.options.false_values:
                return False
        if value is None:
            raise self._missing("boolean")
        raise BadValue(f"`{value}` is not a boolean")

    def integer(self, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        if isinstance(value, float | Decimal) and value == int(value):
            return int(value)
        if value is None:
            raise self._missing("int")
        raise BadValue(f"`{value}` is not an integer")

    def floating(self, value: Any) -> float:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.replace(self.options.decimal_separator, "."))
            except ValueError:
                pass
        if value is None:
            raise self._missing("double")
        raise BadValue(f"`{value}` is not a number")

    def decimal(self, scale: int) -> Convert:
        quantum = Decimal(1).scaleb(-scale)

        def convert(value: Any) -> Decimal:
            if value is None:
                raise self._missing("decimal")
            try:
                if isinstance(value, str):
                    number = Decimal(value.strip().replace(self.options.decimal_separator, "."))
                elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    number = Decimal(str(value))
                else:
                    raise InvalidOperation
                return number.quantize(quantum)
            except InvalidOperation:
                raise BadValue(f"`{value}` is not a decimal of scale {scale}") from None

        return convert

    def string(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if value is None:
            raise self._missing("string")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Mapping | list):
            raise BadValue(f"a {type(value).__name__} is not a string")
        return str(value)

    def bytes_(self, value: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return value.encode()
        if value is None:
            raise self._missing("bytes")
        raise BadValue(f"`{value}` is not bytes")

    def enum(self, symbols: list[str]) -> Convert:
        allowed = frozenset(symbols)

        def convert(value: Any) -> str:
            if isinstance(value, str) and value in allowed:
                return value
            raise BadValue(f"`{value}` is not one of the enum symbols {symbols}")

        return convert

    def _parse(self, value: str, pattern: str) -> dt.datetime:
        iso = _ISO_DEFAULTS.get(pattern)
        if iso is not None and iso.fullmatch(value):  # Kestra's default formats are ISO: the fast way
            moment = dt.datetime.fromisoformat(
                value if "T" in value or ":" not in value else f"1970-01-01T{value}"
            )
            return moment if moment.tzinfo else moment.replace(tzinfo=self.options.zone)
        try:
            return parse_with_pattern(value.strip(), pattern, self.options.zone)
        except (ExpressionError, ValueError):
            raise BadValue(f"`{value}` does not match the format `{pattern}`") from None

    def date(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            return self._parse(value, self.options.date_format).date()
        if isinstance(value, int) and not isinstance(value, bool):
            return _EPOCH + dt.timedelta(days=value)
        if value is None:
            raise self._missing("date")
        raise BadValue(f"`{value}` is not a date")

    def time(self, value: Any) -> dt.time:
        if isinstance(value, dt.time):
            return value.replace(tzinfo=None)
        if isinstance(value, str):
            return self._parse(value, self.options.time_format).time()
        if value is None:
            raise self._missing("time")
        raise BadValue(f"`{value}` is not a time")

    def timestamp(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            value = self._parse(value, self.options.datetime_format)
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=self.options.zone)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time(), self.options.zone)
        if value is None:
            raise self._missing("timestamp")
        raise BadValue(f"`{value}` is not a timestamp")

    def local_timestamp(self, value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value
        return self.timestamp(value).astimezone(self.options.zone).replace(tzinfo=None)

    def unknown(self, name: str) -> Convert:
        def convert(value: Any) -> Any:
            raise BadValue(f"unsupported Avro type `{name}`")

        return convert

    @staticmethod
    def _map(value: Any) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        if value is None:
            raise BadValue("null for a non-nullable record or map")
        raise BadValue(f"a {type(value).__name__} is not a record or map")

    @staticmethod
    def _list(value: Any) -> list[Any]:
        if isinstance(value, list):
            return value
        if value is None:
            raise BadValue("null for a non-nullable array")
        raise BadValue(f"a {type(value).__name__} is not an array")


def _inferred_type(values: list[Any], name: str) -> Any:
    present = [value for value in values if value is not None]
    kinds = {type(value) for value in present}
    if not kinds:
        return "null"
    if kinds <= {bool}:
        kind: Any = "boolean"
    elif kinds <= {int}:
        kind = "long"
    elif kinds <= {int, float}:
        kind = "double"
    elif kinds <= {int, Decimal}:
        scale = max((-int(v.as_tuple().exponent) for v in present if isinstance(v, Decimal)), default=0)
        kind = {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": max(scale, 0)}
    elif kinds <= {dt.date}:
        kind = {"type": "int", "logicalType": "date"}
    elif kinds <= {dt.datetime}:
        local = all(value.tzinfo is None for value in present)
        kind = {"type": "long", "logicalType": "local-timestamp-millis" if local else "timestamp-millis"}
    elif kinds <= {dt.time}:
        kind = {"type": "long", "logicalType": "time-micros"}
    elif kinds <= {bytes}:
        kind = "bytes"
    elif kinds <= {dict}:
        kind = _inferred_record(present, name)
    elif kinds <= {list}:
        kind = {"type": "array", "items": _inferred_type([item for value in present for item in value], name)}
    else:
        kind = "string"
    return ["null", kind]


def _inferred_record(rows: list[Any], name: str) -> dict[str, Any]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(str(key) for key in row))
    fields = [
        {"name": field, "type": _inferred_type([row.get(field) for row in rows], field)} for field in names
    ]
    return {"type": "record", "name": name or "Record", "fields": fields}


def infer_schema(rows: Iterator[Any]) -> dict[str, Any]:
    """Kestra's inference from the scanned rows: every field nullable, types from the ION values."""
    structs = [row for row in rows if isinstance(row, Mapping)]
    schema = _inferred_record(structs, "Record")
    schema["namespace"] = "io.kestra.plugin.serdes"
    parsed = fastavro.parse_schema(schema)
    assert isinstance(parsed, dict)
    return parsed
