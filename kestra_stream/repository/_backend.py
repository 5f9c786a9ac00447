"""What a storage backend provides; the typed repositories (``_repositories``) are written once on top."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from kestra_stream.repository._conditions import All
from kestra_stream.repository.filters import Sort
from kestra_stream.repository.writes import BulkOutcome, IndexKey, WriteOp

Document = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Stored:
    document: Document
    version: int | None
    # The concrete index holding the document (differs from the alias for rotating indices).
    index_name: str = ""


@dataclass(frozen=True, kw_only=True)
class DayBucket:
    day: date
    counts: dict[str, int]
    count: int
    minimum: float
    maximum: float
    total: float


class Backend(Protocol):
    async def get(self, index: IndexKey, doc_id: str) -> Stored | None: ...

    async def search(
        self, index: IndexKey, condition: All, sort: tuple[Sort, ...], *, offset: int, size: int
    ) -> tuple[list[Document], int]: ...

    def scan(
        self, index: IndexKey, condition: All, sort: tuple[Sort, ...], *, batch_size: int = 1000
    ) -> AsyncIterator[Stored]:
        """Every match in ``sort`` order (the sort must end with unique fields)."""
        ...

    async def distinct(self, index: IndexKey, condition: All, path: str, *, limit: int = 10_000) -> list[str]:
        """Distinct values of a keyword field among the matches, sorted."""
        ...

    async def daily(
        self, index: IndexKey, condition: All, *, date_path: str, group_path: str, value_path: str
    ) -> list[DayBucket]:
        """Matches per UTC day of ``date_path``: counts per ``group_path`` value, stats of ``value_path``."""
        ...

    async def bulk(self, ops: Sequence[WriteOp]) -> BulkOutcome: ...

    async def refresh(self) -> None: ...

    async def close(self) -> None: ...
