"""Cell values as Kestra's JDBC plugin types them, written to ION files and to task outputs.

Drivers hand Python values; the converters of each database turn them into the Java types
Kestra's cell converters produce, represented here as:

=====================  ==========================================  ==================================
Kestra (Java)          Python                                      ION (Kestra's ``IonModule``)
=====================  ==========================================  ==================================
``LocalDate``          ``date``                                    timestamp, day precision
``Instant``            :class:`Instant` (a UTC ``datetime``)       timestamp, milliseconds, ``Z``
``ZonedDateTime``      ``datetime`` with a ``ZoneInfo``            ``ZonedDateTime::"…+01:00[Europe/Paris]"``
``OffsetDateTime``     ``datetime`` with a fixed ``timezone``      ``OffsetDateTime::"…+01:00"``
``LocalDateTime``      naive ``datetime``                          ``LocalDateTime::"…"``
``LocalTime``          naive ``time``                              ``LocalTime::"…"``
``OffsetTime``         ``time`` with an offset                     ``OffsetTime::"…"``
``BigDecimal``         ``Decimal``                                 decimal
``byte[]``             ``bytes``                                   blob
arrays, JSON           ``list`` / ``dict``                         list / struct
=====================  ==========================================  ==================================

In task outputs (``row``/``rows``), which are JSON, dates and times are ISO-8601 strings, decimals
numbers and bytes base64, as Kestra's JSON mapper writes them.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from kestra_stream.ion._writer import _decimal as _writer_decimal
from kestra_stream.ion._writer import _field_name as _symbol
from kestra_stream.ion._writer import _float as _ion_float
from kestra_stream.ion._writer import _string

Converter = Callable[[Any], Any]


class Instant(dt.datetime):
    """A point in time written as an ION timestamp in UTC (Java's ``Instant``)."""

    @classmethod
    def of(cls, value: dt.datetime) -> Instant:
        utc = value.astimezone(dt.UTC)
        return cls(
            utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=dt.UTC
        )


def worker_zone() -> dt.tzinfo:
    """The worker's default time zone (``TZ``, else ``/etc/localtime``, else UTC), as Java's default."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            target = Path("/etc/localtime").resolve()
            name = str(target).split("/zoneinfo/", 1)[1] if "/zoneinfo/" in str(target) else ""
        except OSError:
            name = ""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_of(zone_id: str | None) -> dt.tzinfo:
    if not zone_id:
        return worker_zone()
    try:
        return ZoneInfo(zone_id)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"`timeZoneId`: unknown time zone `{zone_id}`") from None


def in_zone(zone: dt.tzinfo) -> Converter:
    """An aware (or UTC-naive) datetime as a ``ZonedDateTime`` of ``zone``."""

    def convert(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
            return aware.astimezone(zone)
        return value

    return convert


def as_offset_datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        offset = value.utcoffset() or dt.timedelta(0)
        return value.replace(tzinfo=dt.timezone(offset))
    return value


def as_instant(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return Instant.of(value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC))
    return value


def iso_duration(value: Any) -> Any:
    """An interval as Kestra's PostgreSQL converter writes it: ``P{y}Y{m}M{d}DT{h}H{m}M{s}S``."""
    if not isinstance(value, dt.timedelta):
        return value
    seconds = int(value.total_seconds())
    sign = -1 if seconds < 0 else 1
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"P0Y0M{sign * days}DT{sign * hours}H{sign * minutes}M{sign * seconds}S"


# -- ISO texts as java.time formats them ----------------------------------------------------------


def _fraction(microsecond: int) -> str:
    return f".{microsecond:06d}".rstrip("0") if microsecond else ""


def _iso_time(value: dt.time | dt.datetime) -> str:
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{_fraction(value.microsecond)}"


def _iso_offset(offset: dt.timedelta | None) -> str:
    if not offset:
        return "Z"
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def _iso_local_datetime(value: dt.datetime) -> str:
    return f"{value.date().isoformat()}T{_iso_time(value)}"


def iso_text(value: dt.date | dt.time) -> str:
    """ISO-8601 as Jackson writes java.time values in JSON (offset, no zone id)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return _iso_local_datetime(value)
        return _iso_local_datetime(value) + _iso_offset(value.utcoffset())
    if isinstance(value, dt.time):
        return _iso_time(value) + ("" if value.tzinfo is None else _iso_offset(value.utcoffset()))
    return value.isoformat()


# -- ION -----------------------------------------------------------------------------------------


def _ion_decimal(value: Decimal) -> str:
    if not value.is_finite():
        return "null.decimal"
    text = str(value)
    if "." in text and "E" not in text:  # the common case, already ion-java's notation
        return text
    return _writer_decimal(value)


_OFFSETS: dict[dt.timedelta | None, str] = {}


def _cached_offset(offset: dt.timedelta | None) -> str:
    text = _OFFSETS.get(offset)
    if text is None:
        text = _OFFSETS[offset] = _iso_offset(offset)
    return text


def _local_text(value: dt.datetime) -> str:
    """``ISO_LOCAL_DATE_TIME``: seconds always, the fraction without trailing zeros."""
    text = value.replace(tzinfo=None).isoformat()
    return text.rstrip("0") if value.microsecond else text


def _ion_datetime(value: dt.datetime) -> str:
    if isinstance(value, Instant):
        millis = value.microsecond // 1000
        return (
            f"{value.date().isoformat()}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{millis:03d}Z"
        )
    if value.tzinfo is None:
        return f'LocalDateTime::"{_local_text(value)}"'
    text = _local_text(value) + _cached_offset(value.utcoffset())
    if isinstance(value.tzinfo, ZoneInfo):
        return f'ZonedDateTime::"{text}[{value.tzinfo.key}]"'
    return f'OffsetDateTime::"{text}"'


def ion_value(value: Any) -> str:
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return _ion_float(value)
    if isinstance(value, Decimal):
        return _ion_decimal(value)
    if isinstance(value, dt.datetime):
        return _ion_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        annotation = "LocalTime" if value.tzinfo is None else "OffsetTime"
        return f'{annotation}::"{iso_text(value)}"'
    if isinstance(value, bytes | bytearray | memoryview):
        return "{{" + base64.b64encode(bytes(value)).decode() + "}}"
    if isinstance(value, Mapping):
        return ion_struct(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(ion_value(item) for item in value) + "]"
    if isinstance(value, str):
        return _string(str(value))
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _ion_float(float(value))
    return _string(str(value))


_ENCODERS: dict[type, Callable[[Any], str]] = {
    str: _string,
    int: str,
    bool: lambda value: "true" if value else "false",
    float: _ion_float,
    Decimal: _ion_decimal,
    dt.date: dt.date.isoformat,
    dt.datetime: _ion_datetime,
    Instant: _ion_datetime,
}


def _column_encoder(column: str, convert: Converter | None) -> Callable[[Any], str]:
    prefix = f"{_symbol(str(column))}:"
    null = prefix + "null"
    encoders = _ENCODERS

    def encode(value: Any) -> str:
        if value is None:
            return null
        if convert is not None:
            value = convert(value)
        encoder = encoders.get(type(value))
        return prefix + (encoder(value) if encoder is not None else ion_value(value))

    return encode


def row_encoder(
    columns: Sequence[str], converters: Sequence[Converter | None]
) -> Callable[[Sequence[Any]], str]:
    """Raw rows of one result set as ION structs (each column's name and conversion resolved once)."""
    cells = [_column_encoder(column, convert) for column, convert in zip(columns, converters, strict=True)]

    def encode(values: Sequence[Any]) -> str:
        return "{" + ",".join([cell(value) for cell, value in zip(cells, values, strict=True)]) + "}"

    return encode


def ion_struct(row: Mapping[str, Any]) -> str:
    return "{" + ",".join(f"{_symbol(str(key))}:{ion_value(value)}" for key, value in row.items()) + "}"


# -- JSON outputs --------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A cell as it appears in ``row``/``rows`` outputs."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent == 0
            else float(value)
        )
    if isinstance(value, dt.date | dt.time):
        return iso_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: json_value(value) for key, value in row.items()}


# -- rows ----------------------------------------------------------------------------------------


def to_row(
    columns: Sequence[str], converters: Sequence[Converter | None], values: Sequence[Any]
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, convert, value in zip(columns, converters, values, strict=True):
        row[name] = value if convert is None or value is None else convert(value)
    return row


def textual(value: Any) -> Any:
    """UUIDs, network addresses and other driver objects: their text."""
    return value if isinstance(value, str | int | float | bool | bytes | list | dict) else str(value)


def parse_json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value
