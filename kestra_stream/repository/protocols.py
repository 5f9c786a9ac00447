"""The repository as the webserver sees it: one protocol per resource, grouped in :class:`Repository`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry, MetricEntry
from kestra_stream.models.task_options import LogLevel
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.repository.filters import Page, PagedResults, SearchRequest, Sort
from kestra_stream.repository.records import DailyExecutionStatistics, FlowRecord, KVMetadata, Namespace
from kestra_stream.repository.writes import BulkWriter


class FlowRepository(Protocol):
    async def save(self, flow: FlowRecord) -> FlowRecord | None:
        """Store ``flow`` as the next revision when its source changed; None when nothing changed."""
        ...

    async def find(
        self,
        namespace: str,
        flow_id: str,
        *,
        revision: int | None = None,
        allow_deleted: bool = False,
        tenant: str | None = None,
    ) -> FlowRecord | None: ...

    async def revisions(self, namespace: str, flow_id: str, *, tenant: str | None = None) -> list[FlowRecord]:
        """Every revision, oldest first (deleted ones included)."""
        ...

    async def delete(self, namespace: str, flow_id: str, *, tenant: str | None = None) -> FlowRecord | None:
        """Soft delete: a new revision with ``deleted: true``; None when there is no such live flow."""
        ...

    async def find_by_namespace(self, namespace: str, *, tenant: str | None = None) -> list[FlowRecord]: ...

    async def search(self, request: SearchRequest) -> PagedResults[FlowRecord]: ...

    async def distinct_namespaces(self, *, q: str | None = None, tenant: str | None = None) -> list[str]: ...


class ExecutionRepository(Protocol):
    async def find_by_id(
        self, execution_id: str, *, allow_deleted: bool = False, tenant: str | None = None
    ) -> Execution | None: ...

    async def search(self, request: SearchRequest) -> PagedResults[Execution]: ...

    def scan(self, request: SearchRequest) -> AsyncIterator[Execution]:
        """Every match in sort order without a depth limit (exports, bulk actions by query)."""
        ...

    async def find_children(self, execution_id: str, *, tenant: str | None = None) -> list[Execution]:
        """Executions triggered by this one (subflows, flow triggers), oldest first."""
        ...

    async def delete(self, execution_id: str, *, hard: bool = False) -> bool: ...

    async def daily_statistics(
        self, request: SearchRequest, *, start: datetime, end: datetime
    ) -> list[DailyExecutionStatistics]:
        """Executions started per UTC day in [start, end], counted by state, with duration stats."""
        ...


class LogRepository(Protocol):
    async def search(self, request: SearchRequest) -> PagedResults[LogEntry]: ...

    def scan(self, request: SearchRequest) -> AsyncIterator[LogEntry]: ...

    async def find_by_execution(
        self,
        execution_id: str,
        *,
        min_level: LogLevel | None = None,
        task_run_id: str | None = None,
        task_id: str | None = None,
        attempt: int | None = None,
        tenant: str | None = None,
    ) -> list[LogEntry]:
        """Every log line of an execution, oldest first."""
        ...

    async def delete_by_execution(
        self,
        execution_id: str,
        *,
        min_level: LogLevel | None = None,
        task_run_id: str | None = None,
        task_id: str | None = None,
        attempt: int | None = None,
    ) -> int: ...

    async def delete_matching(self, request: SearchRequest) -> int: ...


class MetricRepository(Protocol):
    async def search(self, request: SearchRequest) -> PagedResults[MetricEntry]: ...

    async def delete_matching(self, request: SearchRequest) -> int: ...

    async def find_by_execution(
        self,
        execution_id: str,
        *,
        task_run_id: str | None = None,
        task_id: str | None = None,
        page: Page | None = None,
        sort: tuple[Sort, ...] = (),
        tenant: str | None = None,
    ) -> PagedResults[MetricEntry]: ...

    async def names(
        self, namespace: str, flow_id: str, *, task_id: str | None = None, tenant: str | None = None
    ) -> list[str]: ...

    async def task_ids(self, namespace: str, flow_id: str, *, tenant: str | None = None) -> list[str]: ...


class TriggerRepository(Protocol):
    async def search(self, request: SearchRequest) -> PagedResults[TriggerRecord]: ...

    async def find(
        self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str | None = None
    ) -> TriggerRecord | None: ...


class KVMetadataRepository(Protocol):
    async def search(self, request: SearchRequest) -> PagedResults[KVMetadata]: ...

    async def list_by_namespace(self, namespace: str, *, tenant: str | None = None) -> list[KVMetadata]: ...


class NamespaceRepository(Protocol):
    async def search(
        self,
        *,
        q: str | None = None,
        page: Page | None = None,
        existing_only: bool = False,
        tenant: str | None = None,
    ) -> PagedResults[Namespace]:
        """Namespaces of flows and KV entries, their parents and the system namespace, sorted by id."""
        ...


class Repository(Protocol):
    """Read-only members (properties), so implementations may expose narrower concrete stores
    (``MemoryRepository``/``ElasticsearchRepository`` hold ``FlowStore``, ``ExecutionStore``, ...):
    a protocol's mutable attribute would be invariant and reject them."""

    @property
    def flows(self) -> FlowRepository: ...

    @property
    def executions(self) -> ExecutionRepository: ...

    @property
    def logs(self) -> LogRepository: ...

    @property
    def metrics(self) -> MetricRepository: ...

    @property
    def triggers(self) -> TriggerRepository: ...

    @property
    def kv(self) -> KVMetadataRepository: ...

    @property
    def namespaces(self) -> NamespaceRepository: ...

    @property
    def writer(self) -> BulkWriter: ...

    async def close(self) -> None: ...
