"""Pebble tests (``x is <test>``); ``defined`` is an intrinsic because it must see undefined values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import orjson

from kestra_stream.expressions._environment import fail_if_undefined
from kestra_stream.expressions.errors import ExpressionError


def is_null(value: Any) -> bool:
    return fail_if_undefined(value) is None


def is_empty(value: Any) -> bool:
    value = fail_if_undefined(value)
    if value is None:
        return True
    if isinstance(value, str | list | tuple | set | Mapping):
        return len(value) == 0
    return False


def _integer(value: Any, test: str) -> int:
    value = fail_if_undefined(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ExpressionError(f"the `{test}` test expects a number")
    return int(value)


def is_even(value: Any) -> bool:
    return _integer(value, "even") % 2 == 0


def is_odd(value: Any) -> bool:
    return _integer(value, "odd") % 2 == 1


def is_iterable(value: Any) -> bool:
    return isinstance(fail_if_undefined(value), list | tuple | set | frozenset)


def is_map(value: Any) -> bool:
    return isinstance(fail_if_undefined(value), Mapping)


def is_json(value: Any) -> bool:
    """Kestra: a string holding valid JSON."""
    value = fail_if_undefined(value)
    if not isinstance(value, str):
        return False
    try:
        orjson.loads(value)
    except orjson.JSONDecodeError:
        return False
    return True


TESTS: dict[str, Callable[[Any], bool]] = {
    "null": is_null,
    "empty": is_empty,
    "even": is_even,
    "odd": is_odd,
    "iterable": is_iterable,
    "map": is_map,
    "json": is_json,
}
