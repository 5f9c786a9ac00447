"""ISO-8601 durations as Kestra (java.time.Duration) reads and writes them.

Only days, hours, minutes and seconds are accepted: a duration is an exact amount of time, so
weeks, months and years (whose length depends on the calendar) are rejected, as in Kestra.
"""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_DURATION = re.compile(
    r"""
    (?P<sign>[-+]?)P
    (?:(?P<days>[-+]?\d+)D)?
    (?:T
        (?:(?P<hours>[-+]?\d+)H)?
        (?:(?P<minutes>[-+]?\d+)M)?
        (?:(?P<seconds>[-+]?\d+(?:[.,]\d{1,9})?)S)?
    )?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_CALENDAR_DESIGNATOR = re.compile(r"^[-+]?P(?:[^T]*[YMW])", re.IGNORECASE)


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    """``PT1.5S`` -> 1.5 s, ``P1DT2H`` -> 26 h, ``-PT5M`` -> -5 min."""
    candidate = text.strip()
    match = _DURATION.fullmatch(candidate)
    if match is None or candidate.upper().endswith("T") or candidate.upper() in {"P", "-P", "+P"}:
        if _CALENDAR_DESIGNATOR.match(candidate):
            raise DurationError(
                f"invalid duration `{text}`: weeks, months and years are not supported, "
                "use days (e.g. `P7D`) or hours"
            )
        raise DurationError(f"invalid ISO-8601 duration `{text}` (expected e.g. `PT5M`, `PT0.25S`, `P1DT2H`)")
    parts = match.groupdict()
    seconds = Decimal((parts["seconds"] or "0").replace(",", "."))
    total = timedelta(
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=float(seconds),
    )
    return -total if parts["sign"] == "-" else total


def to_timedelta(value: object) -> timedelta:
    """A duration from a rendered value: ISO-8601 text, a timedelta, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)  # older Kestra payloads carry decimal seconds
    raise DurationError(f"invalid duration {value!r}: expected an ISO-8601 duration such as `PT5M`")


@functools.lru_cache(maxsize=1 << 14)  # ended states' durations are written again at every state write
def format_duration(value: timedelta) -> str:
    """Java's ``Duration.toString()``: hours, minutes and seconds only (``PT26H``, ``PT0.25S``, ``PT0S``)."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if micros == 0:
        return "PT0S"
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    hours, micros = divmod(micros, 3_600_000_000)
    minutes, micros = divmod(micros, 60_000_000)
    seconds, fraction = divmod(micros, 1_000_000)
    text = "PT"
    if hours:
        text += f"{sign}{hours}H"
    if minutes:
        text += f"{sign}{minutes}M"
    if seconds or fraction:
        fraction_text = f".{fraction:06d}".rstrip("0") if fraction else ""
        text += f"{sign}{seconds}{fraction_text}S"
    return text


def is_expression(value: object) -> bool:
    """A string holding a Pebble expression or tag, rendered at run time and validated then."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _coerce_duration(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return to_timedelta(value)
    return value  # pydantic reports anything else


def _check_dynamic_duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, str) and not is_expression(value):
        parse_duration(value)
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "duration", "examples": ["PT5M", "PT0.25S", "P1DT2H"]}),
]
"""A literal ISO-8601 duration, held as a :class:`~datetime.timedelta`."""

DynamicDuration = Annotated[
    str,
    BeforeValidator(_check_dynamic_duration),
    WithJsonSchema({"type": "string", "format": "duration", "x-dynamic": True}),
]
"""A duration that may also be a ``{{ expression }}``: kept as text, checked when literal."""
