"""Pebble operator semantics that differ from Python's (Java arithmetic, ``contains``, ranges)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kestra_stream.expressions._values import to_text
from kestra_stream.expressions.errors import ExpressionError

MAX_RANGE_SIZE = 1_000_000
Number = int | float | Decimal


_NUMERIC_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _number(value: Any, operator: str) -> Number:
    # Kestra 1.3.31 computes with numeric strings (`"2" * "2"` is 4, `"1.5" * 2` is 3.0): inputs,
    # loop values and outputs are often numbers as text. `+` still concatenates a string.
    if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value.strip()):
        text = value.strip()
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ExpressionError(f"operator `{operator}` expects numbers, got {type_name(value)}")
    return value


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    return type(value).__name__


def add(left: Any, right: Any) -> Any:
    if isinstance(left, list) and isinstance(right, list):
        return [*left, *right]
    if isinstance(left, str) or isinstance(right, str):
        return to_text(left) + to_text(right)
    return _number(left, "+") + _number(right, "+")  # type: ignore[operator]


def subtract(left: Any, right: Any) -> Any:
    return _number(left, "-") - _number(right, "-")  # type: ignore[operator]


def multiply(left: Any, right: Any) -> Any:
    return _number(left, "*") * _number(right, "*")  # type: ignore[operator]


def divide(left: Any, right: Any) -> Any:
    """Java division: two integers give an integer truncated toward zero (``10 / 3 = 3``)."""
    dividend, divisor = _number(left, "/"), _number(right, "/")
    if isinstance(dividend, int) and isinstance(divisor, int):
        if divisor == 0:
            raise ExpressionError("division by zero")
        quotient = abs(dividend) // abs(divisor)
        return quotient if (dividend >= 0) == (divisor >= 0) else -quotient
    if divisor == 0:
        if dividend == 0:
            return float("nan")
        return float("inf") if dividend > 0 else float("-inf")
    return dividend / divisor  # type: ignore[operator]


def modulo(left: Any, right: Any) -> Any:
    """Java remainder: the sign follows the dividend (``-7 % 3 = -1``)."""
    dividend, divisor = _number(left, "%"), _number(right, "%")
    if divisor == 0:
        if isinstance(dividend, int) and isinstance(divisor, int):
            raise ExpressionError("division by zero")
        return float("nan")
    if isinstance(dividend, int) and isinstance(divisor, int):
        remainder = abs(dividend) % abs(divisor)
        return remainder if dividend >= 0 else -remainder
    return math.fmod(dividend, divisor)


def negate(value: Any) -> Any:
    return -_number(value, "-")


def positive(value: Any) -> Any:
    return +_number(value, "+")


def equals(left: Any, right: Any) -> bool:
    # Java never considers a Boolean equal to a number, Python does (True == 1).
    if isinstance(left, bool) != isinstance(right, bool) and left is not None and right is not None:
        return False
    return bool(left == right)


def concat(left: Any, right: Any) -> str:
    return to_text(left) + to_text(right)


def contains(container: Any, item: Any) -> bool:
    """``list contains x``, ``string contains sub``, ``map contains key``; a list RHS means all."""
    if container is None:
        return False
    if isinstance(item, list | tuple) and not isinstance(container, str):
        return all(contains(container, element) for element in item)
    if isinstance(container, str):
        if isinstance(item, list | tuple):
            return all(to_text(element) in container for element in item)
        return to_text(item) in container
    if isinstance(container, Mapping):
        return item in container
    if isinstance(container, Sequence | set | frozenset):
        return any(equals(element, item) for element in container)
    raise ExpressionError(f"`contains` cannot look into a {type_name(container)}")


def is_in(item: Any, container: Any) -> bool:
    if isinstance(container, list | tuple | set | frozenset):
        return any(equals(element, item) for element in container)
    return contains(container, item)


def inclusive_range(start: Any, end: Any, step: Any = 1) -> list[int]:
    """Pebble ``range``/``..``: both ends included."""
    first, last, increment = (int(_number(v, "range")) for v in (start, end, step))
    if increment == 0:
        raise ExpressionError("range step cannot be 0")
    stop = last + (1 if increment > 0 else -1)
    size = max(0, (stop - first + increment - (1 if increment > 0 else -1)) // increment)
    if size > MAX_RANGE_SIZE:
        raise ExpressionError(f"range too large ({size} items, max {MAX_RANGE_SIZE})")
    return list(range(first, stop, increment))
