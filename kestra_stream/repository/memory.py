"""The in-memory repository (``server local``, fast tests): the same documents, versions and condition
semantics as Elasticsearch, held in dictionaries behind one lock.

Each stored document keeps a memo of its leaf values per dotted path and of its sort keys (a stored
document is never modified: a write replaces the entry), and a query's condition tree is compiled once
into a predicate: a search over 10,000 executions reads each document's few filtered fields from a dict
instead of walking the document and parsing its dates again on every query.
"""

from __future__ import annotations

import functools
import operator
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from kestra_stream.repository._backend import DayBucket, Document, Stored
from kestra_stream.repository._conditions import (
    RESOURCES,
    All,
    AnyOf,
    Condition,
    Exists,
    Nested,
    Not,
    Prefix,
    Range,
    Regexp,
    Substring,
    Terms,
    Text,
    words,
)
from kestra_stream.repository._repositories import Repositories, RepositoryOptions
from kestra_stream.repository.filters import Sort, parse_date
from kestra_stream.repository.writes import BulkOutcome, Delete, IndexKey, Upsert, WriteOp

_DATE_PATHS = frozenset(path for spec in RESOURCES.values() for path in spec.date_paths)


class MemoryRepository(Repositories):
    def __init__(self, *, options: RepositoryOptions | None = None) -> None:
        super().__init__(backend=MemoryBackend(), options=options)


class _Entry:
    """One stored document with its memoised leaf values and sort keys (``values``, ``sort_key``)."""

    __slots__ = ("document", "keys", "memo", "version")

    def __init__(self, document: Document, version: int | None = None) -> None:
        self.document = document
        self.version = version
        self.memo: dict[str, list[Any]] = {}
        self.keys: dict[str, Any] = {}

    def values(self, path: str) -> list[Any]:
        found = self.memo.get(path)
        if found is None:
            found = self.memo[path] = _values(self.document, path)
        return found

    def sort_key(self, path: str) -> Any:
        try:
            return self.keys[path]
        except KeyError:
            key = self.keys[path] = _sort_value(path, self.values(path)[0])
            return key


class MemoryBackend:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indices: dict[IndexKey, dict[str, _Entry]] = {key: {} for key in IndexKey}

    async def get(self, index: IndexKey, doc_id: str) -> Stored | None:
        with self._lock:
            found = self._indices[index].get(doc_id)
        if found is None:
            return None
        return Stored(document=found.document, version=found.version, index_name=index.value)

    def _matches(self, index: IndexKey, condition: All) -> list[_Entry]:
        with self._lock:
            entries = list(self._indices[index].values())
        predicate = _compile(condition)
        return [entry for entry in entries if predicate(entry)]

    async def search(
        self, index: IndexKey, condition: All, sort: tuple[Sort, ...], *, offset: int, size: int
    ) -> tuple[list[Document], int]:
        matches = _sorted(self._matches(index, condition), sort)
        return [entry.document for entry in matches[offset : offset + size]], len(matches)

    async def scan(
        self, index: IndexKey, condition: All, sort: tuple[Sort, ...], *, batch_size: int = 1000
    ) -> AsyncIterator[Stored]:
        for entry in _sorted(self._matches(index, condition), sort):
            yield Stored(document=entry.document, version=None, index_name=index.value)

    async def distinct(self, index: IndexKey, condition: All, path: str, *, limit: int = 10_000) -> list[str]:
        values = {str(value) for entry in self._matches(index, condition) for value in entry.values(path)}
        return sorted(values)[:limit]

    async def daily(
        self, index: IndexKey, condition: All, *, date_path: str, group_path: str, value_path: str
    ) -> list[DayBucket]:
        grouped: dict[Any, list[_Entry]] = {}
        for entry in self._matches(index, condition):
            dates = entry.values(date_path)
            if dates:
                grouped.setdefault(_as_datetime(dates[0]).date(), []).append(entry)
        buckets = []
        for day, entries in sorted(grouped.items()):
            counts: dict[str, int] = {}
            durations: list[float] = []
            for entry in entries:
                for group in entry.values(group_path)[:1]:
                    counts[str(group)] = counts.get(str(group), 0) + 1
                durations.extend(float(value) for value in entry.values(value_path)[:1])
            buckets.append(
                DayBucket(
                    day=day,
                    counts=counts,
                    count=len(durations),
                    minimum=min(durations, default=0.0),
                    maximum=max(durations, default=0.0),
                    total=sum(durations),
                )
            )
        return buckets

    async def bulk(self, ops: Sequence[WriteOp]) -> BulkOutcome:
        written = conflicts = 0
        with self._lock:
            for op in ops:
                store = self._indices[op.index]
                current = store.get(op.doc_id)
                current_version = current.version if current is not None else None
                if op.version is not None and current_version is not None:
                    stale = op.version < current_version or (
                        op.version == current_version
                        and not (isinstance(op, Upsert) and op.allow_equal_version)
                    )
                    if stale:
                        conflicts += 1
                        continue
                if isinstance(op, Delete):
                    store.pop(op.doc_id, None)
                else:
                    store[op.doc_id] = _Entry(op.document, op.version)
                written += 1
        return BulkOutcome(written=written, conflicts=conflicts)

    async def refresh(self) -> None:
        return None

    async def close(self) -> None:
        return None


# -- evaluation ----------------------------------------------------------------------------------------


def _values(document: Any, path: str) -> list[Any]:
    """Leaf values at a dotted path, through lists (as Elasticsearch flattens arrays of objects)."""
    current: list[Any] = [document]
    for part in path.split("."):
        following: list[Any] = []
        for item in current:
            if isinstance(item, dict) and part in item:
                value = item[part]
                following.extend(value if isinstance(value, list) else [value])
        current = following
    return [value for value in current if value is not None]


@functools.lru_cache(maxsize=65536)
def _parse_date(text: str) -> datetime:
    return parse_date(text)


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else _parse_date(str(value))


_Predicate = Callable[[_Entry], bool]


def _compile(condition: Condition) -> _Predicate:
    """The condition as one predicate over an entry (built once per query, not once per document)."""
    match condition:
        case All(conditions):
            return _all(tuple(_compile(item) for item in conditions))
        case AnyOf(conditions):
            return _any(tuple(_compile(item) for item in conditions))
        case Not(inner):
            negated = _compile(inner)
            return lambda entry: not negated(entry)
        case Terms(path, wanted):

            def any_term(entry: _Entry) -> bool:
                for value in entry.values(path):  # noqa: SIM110 - see _all
                    if value in wanted:
                        return True
                return False

            return any_term
        case Exists(path):
            return lambda entry: bool(entry.values(path))
        case Prefix(path, value, case_insensitive):
            start = _fold(value, case_insensitive)
            return lambda entry: any(
                _fold(v, case_insensitive).startswith(start) for v in _strings(entry, path)
            )
        case Substring(path, value, ends_only):
            needle = value.lower()
            return lambda entry: any(
                v.lower().endswith(needle) if ends_only else needle in v.lower()
                for v in _strings(entry, path)
            )
        case Regexp(path, pattern):
            compiled = _regex(pattern)
            if compiled is None:
                return lambda entry: False
            return lambda entry: any(compiled.fullmatch(v) for v in _strings(entry, path))
        case Range(path, gt, gte, lt, lte):
            return lambda entry: any(_in_range(value, gt, gte, lt, lte) for value in entry.values(path))
        case Text(path, terms):

            def text(entry: _Entry) -> bool:
                tokens = {token for value in _strings(entry, path) for token in words(value)}
                return all(term in tokens for term in terms)

            return text
        case Nested(path, inner):
            each = _compile(inner)

            def nested(entry: _Entry) -> bool:
                document = entry.document
                items = document.get(path) if isinstance(document, dict) else None
                return any(each(_Entry({path: item})) for item in items or ())

            return nested
    raise TypeError(f"unknown condition {condition!r}")


# Plain loops, not all()/any() over a generator: these run for every document of every query.
def _all(predicates: tuple[_Predicate, ...]) -> _Predicate:
    def every(entry: _Entry) -> bool:
        for predicate in predicates:  # noqa: SIM110
            if not predicate(entry):
                return False
        return True

    return every


def _any(predicates: tuple[_Predicate, ...]) -> _Predicate:
    def some(entry: _Entry) -> bool:
        for predicate in predicates:  # noqa: SIM110
            if predicate(entry):
                return True
        return False

    return some


def _fold(value: str, case_insensitive: bool) -> str:
    return value.lower() if case_insensitive else value


def _strings(entry: _Entry, path: str) -> Iterable[str]:
    return (value for value in entry.values(path) if isinstance(value, str))


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _in_range(value: Any, gt: Any, gte: Any, lt: Any, lte: Any) -> bool:
    bound = next((b for b in (gt, gte, lt, lte) if b is not None), None)
    if bound is None:
        return True
    try:
        comparable = _as_datetime(value) if isinstance(bound, datetime) else float(value)
    except (TypeError, ValueError):
        return False
    return (
        (gt is None or comparable > gt)
        and (gte is None or comparable >= gte)
        and (lt is None or comparable < lt)
        and (lte is None or comparable <= lte)
    )


def _sorted(entries: list[_Entry], sort: tuple[Sort, ...]) -> list[_Entry]:
    # Stable sorts from the last key to the first; missing values last in both directions, as in ES.
    result = entries
    for item in reversed(sort):
        path = item.field
        present = [entry for entry in result if entry.values(path)]
        missing = [entry for entry in result if not entry.values(path)] if len(present) < len(result) else []
        present.sort(key=operator.methodcaller("sort_key", path), reverse=item.descending)
        result = present + missing
    return result


def _sort_value(path: str, value: Any) -> Any:
    if path in _DATE_PATHS:
        return _as_datetime(value)
    if isinstance(value, bool):
        return int(value)
    return value
