"""The few Java methods Pebble templates call on values (``"abc".length``, ``list.size()``…).

Pebble resolves ``x.name`` / ``x.name()`` through Java reflection; here only an explicit
whitelist exists, keyed by value kind, so no Python attribute is ever reachable from a template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from kestra_stream import user_regex
from kestra_stream.expressions._regex import java_replace_all, java_split
from kestra_stream.expressions._values import to_text
from kestra_stream.expressions.errors import ExpressionError

Method = Callable[..., Any]

_STRING_METHODS: dict[str, Method] = {
    "length": len,
    "size": len,
    "isEmpty": lambda s: not s,
    "isBlank": lambda s: not s.strip(),
    "toUpperCase": str.upper,
    "toLowerCase": str.lower,
    "trim": str.strip,
    "strip": str.strip,
    "startsWith": lambda s, prefix: s.startswith(to_text(prefix)),
    "endsWith": lambda s, suffix: s.endswith(to_text(suffix)),
    "contains": lambda s, part: to_text(part) in s,
    "indexOf": lambda s, part: s.find(to_text(part)),
    "lastIndexOf": lambda s, part: s.rfind(to_text(part)),
    "substring": lambda s, start, end=None: s[start:end],
    "charAt": lambda s, index: s[index],
    "replace": lambda s, old, new: s.replace(to_text(old), to_text(new)),
    "replaceAll": lambda s, pattern, new: java_replace_all(s, to_text(pattern), to_text(new)),
    "matches": lambda s, pattern: user_regex.fullmatch(to_text(pattern), s) is not None,
    "split": lambda s, pattern: java_split(s, to_text(pattern)),
    "equals": lambda s, other: s == other,
    "equalsIgnoreCase": lambda s, other: isinstance(other, str) and s.lower() == other.lower(),
    "concat": lambda s, other: s + to_text(other),
    "toString": lambda s: s,
}
_LIST_METHODS: dict[str, Method] = {
    "size": len,
    "length": len,
    "isEmpty": lambda items: not items,
    "get": lambda items, index: items[index],
    "contains": lambda items, item: item in items,
    "indexOf": lambda items, item: items.index(item) if item in items else -1,
    "subList": lambda items, start, end: list(items[start:end]),
    "toString": to_text,
}
_MAP_METHODS: dict[str, Method] = {
    "size": len,
    "isEmpty": lambda mapping: not mapping,
    "get": lambda mapping, key: mapping.get(key),
    "getOrDefault": lambda mapping, key, default: mapping.get(key, default),
    "containsKey": lambda mapping, key: key in mapping,
    "containsValue": lambda mapping, value: value in mapping.values(),
    "keySet": lambda mapping: list(mapping.keys()),
    "values": lambda mapping: list(mapping.values()),
    "toString": to_text,
}
_DAY_NAMES = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_DATE_METHODS: dict[str, Method] = {
    "getYear": lambda value: value.year,
    "getMonthValue": lambda value: value.month,
    "getDayOfMonth": lambda value: value.day,
    "getDayOfYear": lambda value: value.timetuple().tm_yday,
    "getDayOfWeek": lambda value: _DAY_NAMES[value.weekday()],
    "getHour": lambda value: value.hour,
    "getMinute": lambda value: value.minute,
    "getSecond": lambda value: value.second,
    "getNano": lambda value: value.microsecond * 1000,
    "toString": to_text,
}
_SCALAR_METHODS: dict[str, Method] = {"toString": to_text}


def _methods_for(target: Any) -> dict[str, Method]:
    if isinstance(target, str):
        return _STRING_METHODS
    if isinstance(target, list | tuple):
        return _LIST_METHODS
    if isinstance(target, Mapping):
        return _MAP_METHODS
    if isinstance(target, dt.date | dt.datetime):
        return _DATE_METHODS
    return _SCALAR_METHODS


def read_property(target: Any, name: str) -> tuple[bool, Any]:
    """Pebble's bean-style lookup: ``x.name`` calls ``name()``, ``getName()`` or ``isName()``."""
    methods = _methods_for(target)
    capitalized = name[:1].upper() + name[1:]
    for candidate in (name, "get" + capitalized, "is" + capitalized):
        method = methods.get(candidate)
        if method is not None:
            try:
                return True, method(target)
            except TypeError:
                return False, None  # the method needs arguments
    return False, None


def call_method(target: Any, name: str, args: tuple[Any, ...]) -> Any:
    method = _methods_for(target).get(name)
    if method is None:
        raise ExpressionError(f"method `{name}` is not available on this value")
    try:
        return method(target, *args)
    except (TypeError, IndexError) as error:
        raise ExpressionError(f"method `{name}` failed: {error}") from None
