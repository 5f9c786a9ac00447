"""Collection filters (Pebble core + Kestra)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kestra_stream.expressions._operators import equals, type_name
from kestra_stream.expressions._values import to_text
from kestra_stream.expressions.errors import ExpressionError


def _sequence(value: Any, filter_name: str) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    raise ExpressionError(f"the `{filter_name}` filter expects a list, got a {type_name(value)}")


def first(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[:1] if value else None
    if isinstance(value, Mapping):
        value = list(value.values())
    items = _sequence(value, "first")
    return items[0] if items else None


def last(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[-1:] if value else None
    if isinstance(value, Mapping):
        value = list(value.values())
    items = _sequence(value, "last")
    return items[-1] if items else None


def length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | set | frozenset | Mapping):
        return len(value)
    return 0


def join(value: Any, separator: str = "") -> str | None:
    if value is None:
        return None
    return to_text(separator).join(to_text(item) for item in _sequence(value, "join"))


def _sort_key(value: Any) -> Any:
    if value is None:
        raise ExpressionError("cannot sort a list containing null")
    return value


def sort(value: Any) -> list[Any] | None:
    if value is None:
        return None
    try:
        return sorted(_sequence(value, "sort"), key=_sort_key)
    except TypeError:
        raise ExpressionError("cannot sort a list mixing types") from None


def rsort(value: Any) -> list[Any] | None:
    ordered = sort(value)
    return None if ordered is None else ordered[::-1]


def reverse(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[::-1]
    return _sequence(value, "reverse")[::-1]


def chunk(value: Any, size: int) -> list[list[Any]] | None:
    if value is None:
        return None
    if int(size) <= 0:
        raise ExpressionError("the `chunk` filter expects a positive size")
    items = _sequence(value, "chunk")
    return [items[index : index + int(size)] for index in range(0, len(items), int(size))]


def distinct(value: Any) -> list[Any] | None:
    if value is None:
        return None
    unique: list[Any] = []
    for item in _sequence(value, "distinct"):
        if not any(equals(item, seen) for seen in unique):
            unique.append(item)
    return unique


def slice_(value: Any, fromIndex: int = 0, toIndex: int | None = None) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        value = _sequence(value, "slice")
    end = len(value) if toIndex is None else min(int(toIndex), len(value))
    start = max(int(fromIndex), 0)
    if start > end:
        raise ExpressionError(f"slice: fromIndex {start} is greater than toIndex {end}")
    return value[start:end]


def merge(value: Any, items: Any) -> Any:
    if isinstance(value, Mapping) and isinstance(items, Mapping):
        return {**value, **items}
    if isinstance(value, list | tuple) and isinstance(items, list | tuple):
        return [*value, *items]
    if isinstance(value, list | tuple) and isinstance(items, Mapping):
        return [*value, *items.items()]
    raise ExpressionError(f"the `merge` filter cannot merge a {type_name(items)} into a {type_name(value)}")


def flatten(value: Any) -> list[Any] | None:
    if value is None:
        return None
    flat: list[Any] = []
    for item in _sequence(value, "flatten"):
        if isinstance(item, list | tuple):
            flat.extend(item)
        else:
            flat.append(item)
    return flat


def _mapping(value: Any, filter_name: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise ExpressionError(f"the `{filter_name}` filter expects a map, got a {type_name(value)}")
    return value


def keys(value: Any) -> list[Any] | None:
    return None if value is None else list(_mapping(value, "keys").keys())


def values(value: Any) -> list[Any] | None:
    return None if value is None else list(_mapping(value, "values").values())


COLLECTION_FILTERS: dict[str, Callable[..., Any]] = {
    "first": first,
    "last": last,
    "length": length,
    "join": join,
    "sort": sort,
    "rsort": rsort,
    "reverse": reverse,
    "chunk": chunk,
    "distinct": distinct,
    "slice": slice_,
    "merge": merge,
    "flatten": flatten,
    "keys": keys,
    "values": values,
}
