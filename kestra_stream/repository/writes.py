"""The write side of the repository: idempotent, externally versioned bulk operations.

Only the indexer writes (DESIGN principle 4). An operation with a version is applied only when its
version is greater than the stored one (Elasticsearch ``version_type=external``); a stale or duplicated
write is a *conflict*, which counts as success. Operations without a version (logs, metrics) overwrite
the document of the same id, which is deterministic, so a replay is harmless too.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class IndexKey(enum.Enum):
    """The logical indices (keys of ``indexer/indices.yaml``)."""

    EXECUTIONS = "executions"
    FLOWS = "flows"
    FLOW_REVISIONS = "flow_revisions"
    TRIGGERS = "triggers"
    KV_METADATA = "kv_metadata"
    LOGS = "logs"
    METRICS = "metrics"


@dataclass(frozen=True, kw_only=True)
class Upsert:
    index: IndexKey
    doc_id: str
    document: dict[str, Any]
    version: int | None = None
    # Accept a version equal to the stored one (Elasticsearch `external_gte`): rewriting a document in
    # place (soft delete) without taking a version the indexer will use next.
    allow_equal_version: bool = False


@dataclass(frozen=True, kw_only=True)
class Delete:
    index: IndexKey
    doc_id: str
    version: int | None = None
    # The concrete index behind a rotating alias (a delete through the alias reaches the write index only).
    concrete_index: str | None = None


WriteOp = Upsert | Delete


class RepositoryUnavailableError(RuntimeError):
    """The store cannot be reached or is overloaded: retry later, nothing was lost."""


@dataclass(frozen=True, kw_only=True)
class ItemFailure:
    op: WriteOp
    status: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class BulkOutcome:
    """``retry``: operations that failed for a transient reason (send them again);
    ``rejected``: refused for good (a document the mapping rejects) and skipped."""

    written: int = 0
    conflicts: int = 0
    retry: tuple[WriteOp, ...] = ()
    rejected: tuple[ItemFailure, ...] = field(default_factory=tuple)


class BulkWriter(Protocol):
    async def bulk(self, ops: Sequence[WriteOp]) -> BulkOutcome:
        """Apply ``ops`` in order; raises :class:`RepositoryUnavailableError` when nothing could be sent."""
        ...

    async def refresh(self) -> None:
        """Make every acknowledged write visible to searches (tests; Elasticsearch refreshes every second)."""
        ...
