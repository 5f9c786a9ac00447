"""Values to Ion text, byte for byte what Kestra's Jackson Ion mapper writes."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import IO, Any, cast

import orjson

from kestra_stream.expressions._values import java_double

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_SYMBOL_ID = re.compile(r"\$\d+")
_KEYWORDS = frozenset({"null", "true", "false", "nan"})
_NAMED_ESCAPES = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
_CONTROL = {code: _NAMED_ESCAPES.get(code, f"\\x{code:02x}") for code in range(0x20)}
_STRING_ESCAPES = str.maketrans({**_CONTROL, ord('"'): '\\"', ord("\\"): "\\\\"})
_SYMBOL_ESCAPES = str.maketrans({**_CONTROL, ord("'"): "\\'", ord("\\"): "\\\\"})
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')
_BATCH = 512
# A row of scalars is written by orjson, then its identifier field names unquoted: JSON strings are
# Ion strings. Only a field name follows ``{`` or ``,`` right before a quote (a quote inside a string is
# escaped), so the substitutions cannot touch a value; what they leave quoted goes the slow way.
_JSON_SCALARS = frozenset({str, int, bool, type(None)})
_JSON_NAME = re.compile(r'([{,])"(?!(?:null|true|false|nan|\$\d+)")([A-Za-z_$][A-Za-z0-9_$]*)":')
_QUOTED_NAME = re.compile(r'[{,]"')
_field_names: dict[str, str] = {}


def _string(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return '"' + text + '"'
    return '"' + text.translate(_STRING_ESCAPES) + '"'


def _field_name(name: str) -> str:
    cached = _field_names.get(name)
    if cached is not None:
        return cached
    if _IDENTIFIER.fullmatch(name) and name not in _KEYWORDS and not _SYMBOL_ID.fullmatch(name):
        text = name
    else:
        text = "'" + name.translate(_SYMBOL_ESCAPES) + "'"
    if len(_field_names) < 10_000:  # rows repeat their field names
        _field_names[name] = text
    return text


def _json_row(row: Mapping[Any, Any]) -> str | None:
    for item in row.values():
        if type(item) not in _JSON_SCALARS:
            return None
    try:
        text = orjson.dumps(row).decode()
    except TypeError:  # a non-string key, an int beyond 64 bits, a lone surrogate
        return None
    if "\\u00" in text:  # a control character: Kestra writes ``\x01``, not ``\u0001``
        return None
    text = _JSON_NAME.sub(r"\1\2:", text)
    return None if _QUOTED_NAME.search(text) else text


def _float(value: float) -> str:
    """Java's ``Double.toString`` with ``e``: ``1.5e0``, ``1.0e20``, ``1.0e-5``."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    text = java_double(value)
    return text.replace("E", "e") if "E" in text else text + "e0"


def _decimal(value: Decimal) -> str:
    """Ion decimal: ``1.5``, ``10.``, ``100.00``, ``1d2``, ``1d-7`` (ion-java's notation)."""
    if not value.is_finite():
        raise ValueError(f"Ion has no decimal {value}")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    prefix = "-" if sign else ""
    text = "".join(map(str, digits))
    if exponent == 0:
        return f"{prefix}{text}."
    if exponent > 0:
        return f"{prefix}{text}d{exponent}"
    adjusted = len(text) - 1 + exponent
    if adjusted < -6:
        return f"{prefix}{text}d{exponent}"
    if len(text) <= -exponent:
        return f"{prefix}0.{'0' * (-exponent - len(text))}{text}"
    return f"{prefix}{text[:exponent]}.{text[exponent:]}"


def _fraction(microsecond: int) -> str:
    """``ISO_LOCAL_TIME``'s fraction: as many digits as needed, none for a whole second."""
    return "." + f"{microsecond:06d}".rstrip("0") if microsecond else ""


def _local_time(value: dt.time | dt.datetime) -> str:
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{_fraction(value.microsecond)}"


def _offset(offset: dt.timedelta) -> str:
    if not offset:
        return "Z"
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _datetime(value: dt.datetime) -> str:
    offset = value.utcoffset()
    if offset is None:
        return f'LocalDateTime::"{value.date().isoformat()}T{_local_time(value)}"'
    if not offset:  # an Instant: Ion timestamp in milliseconds, as ``Timestamp.forDateZ``
        return f"{value.date().isoformat()}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}" + (
            f".{value.microsecond // 1000:03d}Z"
        )
    zone = getattr(value.tzinfo, "key", None)  # a named zone prints as ``+01:00[Europe/Paris]``
    suffix = f"[{zone}]" if zone else ""
    return f'ZonedDateTime::"{value.date().isoformat()}T{_local_time(value)}{_offset(offset)}{suffix}"'


def _time(value: dt.time) -> str:
    offset = value.utcoffset()
    if offset is None:
        return f'LocalTime::"{_local_time(value)}"'
    return f'OffsetTime::"{_local_time(value)}{_offset(offset)}"'


def dumps(value: Any) -> str:
    """One value as Ion text (no trailing newline)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if type(value) is dict:
        text = _json_row(value)
        if text is not None:
            return text
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_field_name(str(key))}:{dumps(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, dt.datetime):
        return _datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _time(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "{{" + base64.b64encode(bytes(value)).decode() + "}}"
    if isinstance(value, set | frozenset):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return _string(str(value))


def write_ion(stream: IO[bytes] | IO[str], values: Iterable[Any]) -> int:
    """Write each value on its own line (Kestra's ``FileSerde.writeAll``); returns how many."""
    binary = not hasattr(stream, "encoding")
    count = 0
    batch: list[str] = []
    for value in values:
        batch.append(dumps(value))
        count += 1
        if len(batch) == _BATCH:
            _flush(stream, batch, binary)
            batch = []
    if batch:
        _flush(stream, batch, binary)
    return count


def _flush(stream: IO[bytes] | IO[str], lines: list[str], binary: bool) -> None:
    text = "\n".join(lines) + "\n"
    if binary:
        cast("IO[bytes]", stream).write(text.encode())
    else:
        cast("IO[str]", stream).write(text)
