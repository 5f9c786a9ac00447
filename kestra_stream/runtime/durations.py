"""ISO-8601 durations as Kestra writes them (``PT30S``, ``P1DT2H``, ``PT0.5S``)."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


class InvalidDurationError(ValueError):
    pass


def parse_duration(value: str | timedelta | int | float) -> timedelta:
    """Parse an ISO-8601 duration; numbers are seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise InvalidDurationError(f"invalid duration: {value!r}")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = value.strip()
    match = _DURATION.match(text)
    if match is None or text.upper() in ("P", "PT") or text.upper().endswith("T"):
        raise InvalidDurationError(f"invalid ISO-8601 duration: {value!r}")
    parts = {name: float(amount) for name, amount in match.groupdict().items() if amount and name != "sign"}
    duration = timedelta(**parts)
    return -duration if match.group("sign") == "-" else duration


def format_duration(value: timedelta) -> str:
    """The ``PT…S`` form Kestra prints (``PT1M30S``)."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    if seconds or text == "PT":
        text += f"{seconds:g}S"
    return sign + text
