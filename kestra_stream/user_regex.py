"""Regular expressions written by users (expression filters and methods, STRING input validators).

A user's pattern must not hang a worker or the executor on catastrophic backtracking: every
match runs with Kestra's timeout, ``kestra.regex.timeout`` (default ``PT10S``), on the ``regex``
package (a superset of ``re`` that can stop a match). Patterns are compiled once and cached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import regex

from kestra_stream.models.durations import parse_duration

if TYPE_CHECKING:
    from kestra_stream.config import Config

TIMEOUT_KEY = "kestra.regex.timeout"
DEFAULT_TIMEOUT = timedelta(seconds=10)

_timeout_seconds = DEFAULT_TIMEOUT.total_seconds()

Pattern = regex.Pattern[str]
Match = regex.Match[str]


class RegexError(ValueError):
    """An invalid pattern, or a match that took longer than the timeout."""


class RegexTimeoutError(RegexError):
    pass


def set_timeout(timeout: timedelta | float) -> None:
    """The longest a single match may take (seconds, or a timedelta); process-wide."""
    global _timeout_seconds
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    if seconds <= 0:
        raise ValueError(f"`{TIMEOUT_KEY}` must be positive")
    _timeout_seconds = seconds


def timeout_seconds() -> float:
    return _timeout_seconds


def configure(config: Config) -> None:
    """Apply ``kestra.regex.timeout`` (an ISO-8601 duration) of ``config``."""
    value: Any = config.get(TIMEOUT_KEY)
    if value is None:
        set_timeout(DEFAULT_TIMEOUT)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        set_timeout(value)
    else:
        set_timeout(parse_duration(str(value)))


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Pattern:
    try:
        return regex.compile(pattern)
    except regex.error as error:
        raise RegexError(f"invalid regular expression `{pattern}`: {error}") from None


def _timed_out(pattern: Pattern) -> RegexTimeoutError:
    return RegexTimeoutError(f"regex `{pattern.pattern}` timed out after {_timeout_seconds:g}s")


def search(pattern: str, text: str) -> Match | None:
    compiled = compile_pattern(pattern)
    try:
        return compiled.search(text, timeout=_timeout_seconds)
    except TimeoutError:
        raise _timed_out(compiled) from None


def fullmatch(pattern: str, text: str) -> Match | None:
    compiled = compile_pattern(pattern)
    try:
        return compiled.fullmatch(text, timeout=_timeout_seconds)
    except TimeoutError:
        raise _timed_out(compiled) from None


def find_all(pattern: str, text: str) -> list[Match]:
    """Every non-overlapping match, in order (the timeout covers the whole scan)."""
    compiled = compile_pattern(pattern)
    try:
        return list(compiled.finditer(text, timeout=_timeout_seconds))
    except TimeoutError:
        raise _timed_out(compiled) from None


def sub(pattern: str, replacement: Callable[[Match], str], text: str) -> str:
    compiled = compile_pattern(pattern)
    try:
        return compiled.sub(replacement, text, timeout=_timeout_seconds)
    except TimeoutError:
        raise _timed_out(compiled) from None
