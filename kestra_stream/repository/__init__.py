"""The read side of kestra-stream (DESIGN principle 4: a projection only the indexer writes).

``MemoryRepository`` and ``ElasticsearchRepository`` implement :class:`Repository` with the same
semantics (one contract suite, ``tests/repository``); queries are :class:`SearchRequest` built by
:func:`parse_search` from Kestra's query strings.
"""

from typing import TYPE_CHECKING, Any

from kestra_stream.repository._repositories import RepositoryOptions, execution_upsert
from kestra_stream.repository.filters import (
    ALLOWED_FIELDS,
    ChildFilter,
    Filter,
    FilterError,
    FilterField,
    Op,
    Page,
    PagedResults,
    Resource,
    Scope,
    SearchRequest,
    Sort,
    TriggerState,
    filters_to_params,
    make_filter,
    parse_filters,
    parse_page,
    parse_search,
)
from kestra_stream.repository.memory import MemoryRepository
from kestra_stream.repository.protocols import (
    ExecutionRepository,
    FlowRepository,
    KVMetadataRepository,
    LogRepository,
    MetricRepository,
    NamespaceRepository,
    Repository,
    TriggerRepository,
)
from kestra_stream.repository.records import (
    DailyExecutionStatistics,
    DurationStats,
    FlowRecord,
    KVMetadata,
    Namespace,
    next_flow_revision,
    soft_deleted,
)
from kestra_stream.repository.writes import (
    BulkOutcome,
    BulkWriter,
    Delete,
    IndexKey,
    ItemFailure,
    RepositoryUnavailableError,
    Upsert,
    WriteOp,
)

if TYPE_CHECKING:
    from kestra_stream.repository.elasticsearch import ElasticsearchRepository, async_client

__all__ = [
    "ALLOWED_FIELDS",
    "BulkOutcome",
    "BulkWriter",
    "ChildFilter",
    "DailyExecutionStatistics",
    "Delete",
    "DurationStats",
    "ElasticsearchRepository",
    "ExecutionRepository",
    "Filter",
    "FilterError",
    "FilterField",
    "FlowRecord",
    "FlowRepository",
    "IndexKey",
    "ItemFailure",
    "KVMetadata",
    "KVMetadataRepository",
    "LogRepository",
    "MemoryRepository",
    "MetricRepository",
    "Namespace",
    "NamespaceRepository",
    "Op",
    "Page",
    "PagedResults",
    "Repository",
    "RepositoryOptions",
    "RepositoryUnavailableError",
    "Resource",
    "Scope",
    "SearchRequest",
    "Sort",
    "TriggerRepository",
    "TriggerState",
    "Upsert",
    "WriteOp",
    "async_client",
    "execution_upsert",
    "filters_to_params",
    "make_filter",
    "next_flow_revision",
    "parse_filters",
    "parse_page",
    "parse_search",
    "soft_deleted",
]


def __getattr__(name: str) -> Any:
    """The Elasticsearch client library is imported only by the processes that use it (an executor,
    worker or scheduler starts faster without it)."""
    if name in ("ElasticsearchRepository", "async_client"):
        from kestra_stream.repository import elasticsearch

        return getattr(elasticsearch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
