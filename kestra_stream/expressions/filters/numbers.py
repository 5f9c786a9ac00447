"""Number filters: ``abs``, ``number``, ``numberFormat``, ``className``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from kestra_stream.expressions._decimal_format import decimal_format
from kestra_stream.expressions._operators import type_name
from kestra_stream.expressions.errors import ExpressionError


class JavaFloat(float):
    """A float that ``className`` reports as ``java.lang.Float`` (what ``number`` infers)."""


class JavaLong(int):
    """An integer that ``className`` reports as ``java.lang.Long``."""


class JavaBigInteger(int):
    """An integer that ``className`` reports as ``java.math.BigInteger``."""


INT_RANGE = range(-(2**31), 2**31)
LONG_RANGE = range(-(2**63), 2**63)


def absolute(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ExpressionError(f"the `abs` filter expects a number, got a {type_name(value)}")
    return abs(value)


def _parse_integer(text: str) -> int:
    cleaned = text.strip()
    lowered = cleaned.lower().lstrip("+-")
    sign = -1 if cleaned.startswith("-") else 1
    if lowered.startswith(("0x", "#")):
        return sign * int(lowered.lstrip("#").removeprefix("0x"), 16)
    return int(cleaned.rstrip("lL"))


def number(value: Any, type: str | None = None) -> Any:
    """Parse a string like commons-lang ``NumberUtils``; ``type`` forces INT, LONG, FLOAT…"""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExpressionError(
            f"'number' filter can only be applied to String. Actual type was: {type_name(value)}"
        )
    try:
        kind = (type or "").upper()
        if kind in ("INT", "LONG", "BIGINTEGER"):
            parsed = _parse_integer(value)
            return {"INT": int, "LONG": JavaLong, "BIGINTEGER": JavaBigInteger}[kind](parsed)
        if kind == "FLOAT":
            return JavaFloat(value)
        if kind == "DOUBLE":
            return float(value)
        if kind == "BIGDECIMAL":
            return Decimal(value.strip())
        if kind:
            raise ExpressionError(f"unknown number type `{type}`")
        if re.fullmatch(r"\s*[+-]?(0[xX][0-9a-fA-F]+|#[0-9a-fA-F]+|\d+)[lL]?\s*", value):
            parsed = _parse_integer(value)
            if parsed in INT_RANGE:
                return parsed
            return JavaLong(parsed) if parsed in LONG_RANGE else JavaBigInteger(parsed)
        return JavaFloat(value.rstrip("fFdD"))
    except (ValueError, InvalidOperation):
        raise ExpressionError(f"`{value}` is not a valid number") from None


def number_format(value: Any, format: str, locale: str | None = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = number(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ExpressionError(f"the `numberFormat` filter expects a number, got a {type_name(value)}")
    return decimal_format(value, format)


def class_name(value: Any) -> str | None:
    """The Java class Kestra would report for the value (debugging aid)."""
    if value is None:
        return None
    checks: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "java.lang.Boolean"),
        (JavaFloat, "java.lang.Float"),
        (JavaLong, "java.lang.Long"),
        (JavaBigInteger, "java.math.BigInteger"),
        (float, "java.lang.Double"),
        (Decimal, "java.math.BigDecimal"),
        (str, "java.lang.String"),
        (Mapping, "java.util.LinkedHashMap"),
        ((list, tuple), "java.util.ArrayList"),
        (dt.datetime, "java.time.ZonedDateTime"),
        (dt.date, "java.time.LocalDate"),
    ]
    for python_type, java_name in checks:
        if isinstance(value, python_type):
            return java_name
    if isinstance(value, int):
        if value in INT_RANGE:
            return "java.lang.Integer"
        return "java.lang.Long" if value in LONG_RANGE else "java.math.BigInteger"
    return type(value).__name__


NUMBER_FILTERS: dict[str, Callable[..., Any]] = {
    "abs": absolute,
    "number": number,
    "numberFormat": number_format,
    "numberformat": number_format,
    "className": class_name,
}
