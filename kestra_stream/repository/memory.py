"""The in-memory repository (``server local``, fast tests): the same documents, versions and condition
semantics as Elasticsearch, held in dictionaries behind one lock."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import AsyncIterator, Iterable, Sequence
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


class MemoryBackend:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indices: dict[IndexKey, dict[str, tuple[int | None, Document]]] = {key: {} for key in IndexKey}

    async def get(self, index: IndexKey, doc_id: str) -> Stored | None:
        with self._lock:
            found = self._indices[index].get(doc_id)
        if found is None:
            return None
        return Stored(document=found[1], version=found[0], index_name=index.value)

    def _matches(self, index: IndexKey, condition: All) -> list[Document]:
        with self._lock:
            documents = [document for _, document in self._indices[index].values()]
        return [document for document in documents if _evaluate(condition, document)]

    async def search(
        self, index: IndexKey, condition: All, sort: tuple[Sort, ...], *, offset: int, size: int
    ) -> tuple[list[Document], int]:
        matches = _sorted(self._matches(index, condition), sort)
        return matches[offset : offset + size], len(matches)

    async def scan(
        self, index: IndexKey, condition: All, sort: tuple[Sort, ...], *, batch_size: int = 1000
    ) -> AsyncIterator[Stored]:
        for document in _sorted(self._matches(index, condition), sort):
            yield Stored(document=document, version=None, index_name=index.value)

    async def distinct(self, index: IndexKey, condition: All, path: str, *, limit: int = 10_000) -> list[str]:
        values = {
            str(value) for document in self._matches(index, condition) for value in _values(document, path)
        }
        return sorted(values)[:limit]

    async def daily(
        self, index: IndexKey, condition: All, *, date_path: str, group_path: str, value_path: str
    ) -> list[DayBucket]:
        grouped: dict[Any, list[Document]] = {}
        for document in self._matches(index, condition):
            dates = _values(document, date_path)
            if dates:
                grouped.setdefault(_as_datetime(dates[0]).date(), []).append(document)
        buckets = []
        for day, documents in sorted(grouped.items()):
            counts: dict[str, int] = {}
            durations: list[float] = []
            for document in documents:
                for group in _values(document, group_path)[:1]:
                    counts[str(group)] = counts.get(str(group), 0) + 1
                durations.extend(float(value) for value in _values(document, value_path)[:1])
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
                current_version = current[0] if current is not None else None
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
                    store[op.doc_id] = (op.version, op.document)
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


def _evaluate(condition: Condition, document: Any) -> bool:
    match condition:
        case All(conditions):
            return all(_evaluate(item, document) for item in conditions)
        case AnyOf(conditions):
            return any(_evaluate(item, document) for item in conditions)
        case Not(inner):
            return not _evaluate(inner, document)
        case Terms(path, wanted):
            return any(value in wanted for value in _values(document, path))
        case Exists(path):
            return bool(_values(document, path))
        case Prefix(path, value, case_insensitive):
            return any(
                _fold(v, case_insensitive).startswith(_fold(value, case_insensitive))
                for v in _strings(document, path)
            )
        case Substring(path, value, ends_only):
            needle = value.lower()
            return any(
                v.lower().endswith(needle) if ends_only else needle in v.lower()
                for v in _strings(document, path)
            )
        case Regexp(path, pattern):
            compiled = _regex(pattern)
            return compiled is not None and any(compiled.fullmatch(v) for v in _strings(document, path))
        case Range(path, gt, gte, lt, lte):
            return any(_in_range(value, gt, gte, lt, lte) for value in _values(document, path))
        case Text(path, terms):
            tokens = {token for value in _strings(document, path) for token in words(value)}
            return all(term in tokens for term in terms)
        case Nested(path, inner):
            items = document.get(path) if isinstance(document, dict) else None
            return any(_evaluate(inner, {path: item}) for item in items or ())
    raise TypeError(f"unknown condition {condition!r}")


def _fold(value: str, case_insensitive: bool) -> str:
    return value.lower() if case_insensitive else value


def _strings(document: Any, path: str) -> Iterable[str]:
    return (value for value in _values(document, path) if isinstance(value, str))


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


def _sorted(documents: list[Document], sort: tuple[Sort, ...]) -> list[Document]:
    # Stable sorts from the last key to the first; missing values last in both directions, as in ES.
    result = list(documents)
    for item in reversed(sort):
        present = [d for d in result if _values(d, item.field)]
        missing = [d for d in result if not _values(d, item.field)]
        present.sort(key=functools.partial(_sort_value, item.field), reverse=item.descending)
        result = present + missing
    return result


def _sort_value(path: str, document: Document) -> Any:
    value = _values(document, path)[0]
    if path in _DATE_PATHS:
        return _as_datetime(value)
    if isinstance(value, bool):
        return int(value)
    return value
