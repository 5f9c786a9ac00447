"""A subset of Java ``DecimalFormat`` (``#,##0.00``, ``#.##``, ``0.###``, ``0%``, ``¤``-free prefixes)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from kestra_stream.expressions.errors import ExpressionError

_NUMBER_PART = re.compile(r"[#0,.]+")


def decimal_format(value: int | float | Decimal, pattern: str) -> str:
    positive_pattern = pattern.split(";")[0]
    match = _NUMBER_PART.search(positive_pattern)
    if match is None:
        raise ExpressionError(f"invalid number format `{pattern}`")
    prefix, number_pattern, suffix = (
        positive_pattern[: match.start()],
        match.group(),
        positive_pattern[match.end() :],
    )
    integer_pattern, _, fraction_pattern = number_pattern.partition(".")
    grouping = 0
    if "," in integer_pattern:
        grouping = len(integer_pattern) - integer_pattern.rindex(",") - 1
    min_integer = integer_pattern.replace(",", "").count("0")
    min_fraction = fraction_pattern.count("0")
    max_fraction = len(fraction_pattern)

    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if "%" in prefix + suffix:
        number *= 100
    elif "\u2030" in prefix + suffix:
        number *= 1000
    negative = number < 0
    quantum = Decimal(1).scaleb(-max_fraction)
    rounded = abs(number).quantize(quantum, rounding=ROUND_HALF_EVEN)
    integer_digits, _, fraction_digits = f"{rounded:f}".partition(".")
    fraction_digits = fraction_digits.rstrip("0")
    fraction_digits = fraction_digits.ljust(min_fraction, "0")
    integer_digits = integer_digits.lstrip("0").rjust(min_integer, "0")
    if grouping:
        groups: list[str] = []
        while len(integer_digits) > grouping:
            groups.insert(0, integer_digits[-grouping:])
            integer_digits = integer_digits[:-grouping]
        integer_digits = ",".join([integer_digits, *groups]) if integer_digits else ",".join(groups)
    text = integer_digits + ("." + fraction_digits if fraction_digits else "")
    if not text:
        text = "0"
    literal_prefix, literal_suffix = prefix.replace("'", ""), suffix.replace("'", "")
    return ("-" if negative and rounded != 0 else "") + literal_prefix + text + literal_suffix
