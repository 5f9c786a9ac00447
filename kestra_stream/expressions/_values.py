"""How Kestra turns values into text: JSON for maps/lists, Java number and date formats."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson

FALSY_STRINGS = frozenset({"", "false", "0", "-0"})


def java_double(value: float) -> str:
    """``Double.toString``: ``100.0``, ``3.65``, ``1.0E10``, ``1.0E-5``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        if "e" in text or "E" in text:
            text = f"{value:.17f}".rstrip("0")
        return text if "." in text else text + ".0"
    exponent = f"{value:.17e}".split("e")[1]
    # Shortest round-tripping digits, like Java's algorithm.
    digits = repr(value).lower().split("e")[0].replace("-", "").replace(".", "").lstrip("0").rstrip("0")
    digits = digits or "0"
    sign = "-" if value < 0 else ""
    integer_digit, fraction = digits[0], digits[1:] or "0"
    return f"{sign}{integer_digit}.{fraction}E{int(exponent)}"


def format_datetime_iso(value: dt.datetime) -> str:
    """ISO-8601 the way ``Instant``/``OffsetDateTime.toString`` print (``…38.355668Z``)."""
    text = value.strftime("%Y-%m-%dT%H:%M")
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
    if value.microsecond:
        fraction = f"{value.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    offset = value.utcoffset()
    if offset is None:
        return text
    if offset == dt.timedelta(0):
        return text + "Z"
    return text + _offset_text(offset)


def _offset_text(offset: dt.timedelta) -> str:
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, remainder = divmod(abs(total), 3600)
    minutes, seconds = divmod(remainder, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return text + (f":{seconds:02d}" if seconds else "")


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_datetime_iso(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    to_json = getattr(value, "to_json_value", None)
    if callable(to_json):
        return to_json()
    raise TypeError(f"cannot serialize {type(value).__name__} to JSON")


def to_json(value: Any, *, pretty: bool = False) -> str:
    """Compact JSON like Jackson (keys in insertion order, non-ASCII kept)."""
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    if pretty:
        option |= orjson.OPT_INDENT_2
    return orjson.dumps(value, default=_json_default, option=option).decode()


def to_text(value: Any) -> str:
    """The text Pebble/Kestra prints for ``{{ value }}``."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Mapping | list | tuple):
        return to_json(value)
    if isinstance(value, dt.datetime):
        return format_datetime_iso(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def is_truthy(rendered: Any) -> bool:
    """Kestra's rule for rendered conditions (``TruthUtils``): false iff the printed value is "",
    "false", "0" or "-0" (case-sensitive: "False" is true). A typed render is printed first."""
    return to_text(rendered).strip() not in FALSY_STRINGS


def truth_value(value: Any) -> bool:
    """Truthiness of a value inside an expression (``if``, ``and``, ``not``, ternary)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str):
        return is_truthy(value)
    if isinstance(value, int | float | Decimal):
        return value != 0
    if isinstance(value, Mapping | list | tuple | set):
        return len(value) > 0
    return True
