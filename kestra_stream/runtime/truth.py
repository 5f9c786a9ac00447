"""Kestra's truthiness of rendered conditions (``TruthUtils``): only a few values are false."""

from __future__ import annotations

from typing import Any

_FALSE_STRINGS = frozenset({"", "false", "0", "-0"})


def is_truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        # Case-sensitive as in Kestra: "False" is truthy.
        return value.strip() not in _FALSE_STRINGS
    return True
