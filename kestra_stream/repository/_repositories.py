"""The typed repositories, written once over a :class:`Backend` (memory or Elasticsearch)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kestra_stream.models.dates import utc_now
from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry, MetricEntry
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.repository._backend import Backend, Document, Stored
from kestra_stream.repository._conditions import (
    DEFAULT_TENANT,
    All,
    CompileOptions,
    Condition,
    Not,
    Range,
    Substring,
    Terms,
    compile_request,
    sort_keys,
    tenant_condition,
)
from kestra_stream.repository.documents import execution_document, execution_from_document, flow_document
from kestra_stream.repository.filters import (
    Filter,
    FilterField,
    Op,
    Page,
    PagedResults,
    Resource,
    SearchRequest,
    Sort,
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
from kestra_stream.repository.writes import BulkOutcome, Delete, IndexKey, RepositoryUnavailableError, Upsert

_INDEX = {
    Resource.EXECUTION: IndexKey.EXECUTIONS,
    Resource.FLOW: IndexKey.FLOWS,
    Resource.LOG: IndexKey.LOGS,
    Resource.METRIC: IndexKey.METRICS,
    Resource.TRIGGER: IndexKey.TRIGGERS,
    Resource.KV_METADATA: IndexKey.KV_METADATA,
}
_DELETE_CHUNK = 500


@dataclass(frozen=True, kw_only=True)
class RepositoryOptions:
    system_namespace: str = "system"
    clock: Callable[[], datetime] = field(default=utc_now)


class _Resource:
    resource: Resource

    def __init__(self, *, backend: Backend, options: RepositoryOptions) -> None:
        self._backend = backend
        self._options = options

    @property
    def _index(self) -> IndexKey:
        return _INDEX[self.resource]

    def _compile(self, request: SearchRequest) -> All:
        options = CompileOptions(now=self._options.clock(), system_namespace=self._options.system_namespace)
        return compile_request(self.resource, request, options)

    async def _search_documents(self, request: SearchRequest) -> tuple[list[Document], int]:
        sort = sort_keys(self.resource, request.sort)
        return await self._backend.search(
            self._index, self._compile(request), sort, offset=request.page.offset, size=request.page.size
        )

    def _scan_documents(self, request: SearchRequest) -> AsyncIterator[Stored]:
        return self._backend.scan(self._index, self._compile(request), sort_keys(self.resource, request.sort))

    async def delete_matching(self, request: SearchRequest) -> int:
        """Hard-delete every match (purge tasks); the count deleted."""
        # No _delete_by_query on the test distribution: find the ids, then bulk deletes.
        targets = [stored async for stored in self._scan_documents(request)]
        for start in range(0, len(targets), _DELETE_CHUNK):
            chunk = targets[start : start + _DELETE_CHUNK]
            await self._write(
                *(
                    Delete(
                        index=self._index,
                        doc_id=str(stored.document["id"]),
                        concrete_index=stored.index_name or None,
                    )
                    for stored in chunk
                )
            )
        return len(targets)

    async def _write(self, *ops: Upsert | Delete) -> BulkOutcome:
        outcome = await self._backend.bulk(ops)
        if outcome.retry:
            raise RepositoryUnavailableError(f"{len(outcome.retry)} write(s) must be retried")
        if outcome.rejected:
            raise ValueError(f"write rejected: {outcome.rejected[0].reason}")
        return outcome


def _tenant_ids(tenant: str | None, *parts: str) -> list[str]:
    """Candidate document ids: documents written without a tenant belong to the default one."""
    bare = "_".join(parts)
    if tenant is None or tenant == DEFAULT_TENANT:
        return [f"{DEFAULT_TENANT}_{bare}", bare]
    return [f"{tenant}_{bare}"]


def _tenant_matches(document: Document, tenant: str | None) -> bool:
    if tenant is None:
        return True
    return (document.get("tenantId") or DEFAULT_TENANT) == tenant


def _eq(field_: FilterField, value: str) -> Filter:
    return Filter(field=field_, op=Op.EQUALS, value=value)


class FlowStore(_Resource):
    resource = Resource.FLOW

    async def save(self, flow: FlowRecord) -> FlowRecord | None:
        latest = await self.find(flow.namespace, flow.id, allow_deleted=True, tenant=flow.tenant_id)
        saved = next_flow_revision(latest, flow)
        if saved is None:
            return None
        saved = saved.model_copy(update={"updated": self._options.clock()})
        await self._write_revision(saved)
        return saved

    async def _write_revision(self, flow: FlowRecord) -> None:
        document = flow_document(flow)
        await self._write(
            Upsert(
                index=IndexKey.FLOWS,
                doc_id=flow.uid_without_revision,
                document=document,
                version=flow.revision,
            ),
            Upsert(index=IndexKey.FLOW_REVISIONS, doc_id=flow.uid, document=document, version=flow.revision),
        )

    async def find(
        self,
        namespace: str,
        flow_id: str,
        *,
        revision: int | None = None,
        allow_deleted: bool = False,
        tenant: str | None = None,
    ) -> FlowRecord | None:
        index = IndexKey.FLOWS if revision is None else IndexKey.FLOW_REVISIONS
        parts = (namespace, flow_id) if revision is None else (namespace, flow_id, str(revision))
        for doc_id in _tenant_ids(tenant, *parts):
            stored = await self._backend.get(index, doc_id)
            if stored is not None:
                record = FlowRecord.model_validate(stored.document)
                return None if record.deleted and not allow_deleted else record
        return None

    async def revisions(self, namespace: str, flow_id: str, *, tenant: str | None = None) -> list[FlowRecord]:
        conditions: list[Condition] = [Terms("namespace", (namespace,)), Terms("id", (flow_id,))]
        if tenant is not None:
            conditions.append(tenant_condition(tenant))
        sort = (Sort(field="revision"),)
        return [
            FlowRecord.model_validate(stored.document)
            async for stored in self._backend.scan(IndexKey.FLOW_REVISIONS, All(tuple(conditions)), sort)
        ]

    async def delete(self, namespace: str, flow_id: str, *, tenant: str | None = None) -> FlowRecord | None:
        latest = await self.find(namespace, flow_id, tenant=tenant)
        if latest is None:
            return None
        deleted = soft_deleted(latest, at=self._options.clock())
        await self._write_revision(deleted)
        return deleted

    async def find_by_namespace(self, namespace: str, *, tenant: str | None = None) -> list[FlowRecord]:
        request = SearchRequest(filters=(_eq(FilterField.NAMESPACE, namespace),), tenant=tenant)
        return [FlowRecord.model_validate(stored.document) async for stored in self._scan_documents(request)]

    async def search(self, request: SearchRequest) -> PagedResults[FlowRecord]:
        documents, total = await self._search_documents(request)
        return PagedResults(results=[FlowRecord.model_validate(doc) for doc in documents], total=total)

    async def distinct_namespaces(self, *, q: str | None = None, tenant: str | None = None) -> list[str]:
        condition = self._compile(SearchRequest(tenant=tenant))
        if q:
            condition = All((*condition.conditions, Substring("namespace", q)))
        return await self._backend.distinct(IndexKey.FLOWS, condition, "namespace")


class ExecutionStore(_Resource):
    resource = Resource.EXECUTION

    async def find_by_id(
        self, execution_id: str, *, allow_deleted: bool = False, tenant: str | None = None
    ) -> Execution | None:
        stored = await self._backend.get(IndexKey.EXECUTIONS, execution_id)
        if stored is None or not _tenant_matches(stored.document, tenant):
            return None
        if stored.document.get("deleted") and not allow_deleted:
            return None
        return execution_from_document(stored.document)

    async def search(self, request: SearchRequest) -> PagedResults[Execution]:
        documents, total = await self._search_documents(request)
        return PagedResults(results=[execution_from_document(doc) for doc in documents], total=total)

    async def scan(self, request: SearchRequest) -> AsyncIterator[Execution]:
        async for stored in self._scan_documents(request):
            yield execution_from_document(stored.document)

    async def find_children(self, execution_id: str, *, tenant: str | None = None) -> list[Execution]:
        request = SearchRequest(
            filters=(_eq(FilterField.TRIGGER_EXECUTION_ID, execution_id),),
            sort=(Sort(field="state.startDate"),),
            tenant=tenant,
        )
        return [execution async for execution in self.scan(request)]

    async def delete(self, execution_id: str, *, hard: bool = False) -> bool:
        stored = await self._backend.get(IndexKey.EXECUTIONS, execution_id)
        if stored is None or (stored.document.get("deleted") and not hard):
            return False
        if hard:
            await self._write(Delete(index=IndexKey.EXECUTIONS, doc_id=execution_id))
            return True
        # Rewritten at its own version: a replay of older snapshots (same or lower offsets) cannot undo it.
        document = {**stored.document, "deleted": True}
        await self._write(
            Upsert(
                index=IndexKey.EXECUTIONS,
                doc_id=execution_id,
                document=document,
                version=stored.version,
                allow_equal_version=stored.version is not None,
            )
        )
        return True

    async def daily_statistics(
        self, request: SearchRequest, *, start: datetime, end: datetime
    ) -> list[DailyExecutionStatistics]:
        condition = self._compile(request)
        condition = All((*condition.conditions, Range("state.startDate", gte=start, lte=end)))
        buckets = {
            bucket.day: bucket
            for bucket in await self._backend.daily(
                IndexKey.EXECUTIONS,
                condition,
                date_path="state.startDate",
                group_path="state.current",
                value_path="state.duration",
            )
        }
        days: list[DailyExecutionStatistics] = []
        day = start.astimezone(end.tzinfo).date() if start.tzinfo else start.date()
        while day <= end.date():
            bucket = buckets.get(day)
            counts = dict.fromkeys(StateType, 0)
            stats = DurationStats()
            if bucket is not None:
                counts.update({StateType(state): count for state, count in bucket.counts.items()})
                stats = DurationStats(
                    min=bucket.minimum,
                    max=bucket.maximum,
                    sum=bucket.total,
                    count=bucket.count,
                    avg=bucket.total / bucket.count if bucket.count else 0.0,
                )
            days.append(DailyExecutionStatistics(start_date=day, duration=stats, execution_counts=counts))
            day += timedelta(days=1)
        return days


class LogStore(_Resource):
    resource = Resource.LOG

    async def search(self, request: SearchRequest) -> PagedResults[LogEntry]:
        documents, total = await self._search_documents(request)
        return PagedResults(results=[LogEntry.model_validate(doc) for doc in documents], total=total)

    async def scan(self, request: SearchRequest) -> AsyncIterator[LogEntry]:
        async for stored in self._scan_documents(request):
            yield LogEntry.model_validate(stored.document)

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
        request = _execution_logs(execution_id, min_level, task_run_id, task_id, attempt, tenant)
        return [entry async for entry in self.scan(request)]

    async def delete_by_execution(
        self,
        execution_id: str,
        *,
        min_level: LogLevel | None = None,
        task_run_id: str | None = None,
        task_id: str | None = None,
        attempt: int | None = None,
    ) -> int:
        request = _execution_logs(execution_id, min_level, task_run_id, task_id, attempt, None)
        return await self.delete_matching(request)


def _execution_logs(
    execution_id: str,
    min_level: LogLevel | None,
    task_run_id: str | None,
    task_id: str | None,
    attempt: int | None,
    tenant: str | None,
) -> SearchRequest:
    filters = [_eq(FilterField.EXECUTION_ID, execution_id)]
    if min_level is not None:
        filters.append(_eq(FilterField.LEVEL, LogLevel(min_level).value))
    if task_run_id is not None:
        filters.append(_eq(FilterField.TASK_RUN_ID, task_run_id))
    if task_id is not None:
        filters.append(_eq(FilterField.TASK_ID, task_id))
    if attempt is not None:
        filters.append(Filter(field=FilterField.ATTEMPT, op=Op.EQUALS, value=attempt))
    return SearchRequest(filters=tuple(filters), tenant=tenant)


class MetricStore(_Resource):
    resource = Resource.METRIC

    async def search(self, request: SearchRequest) -> PagedResults[MetricEntry]:
        documents, total = await self._search_documents(request)
        return PagedResults(results=[MetricEntry.model_validate(doc) for doc in documents], total=total)

    async def find_by_execution(
        self,
        execution_id: str,
        *,
        task_run_id: str | None = None,
        task_id: str | None = None,
        page: Page | None = None,
        sort: tuple[Sort, ...] = (),
        tenant: str | None = None,
    ) -> PagedResults[MetricEntry]:
        filters = [_eq(FilterField.EXECUTION_ID, execution_id)]
        if task_run_id is not None:
            filters.append(_eq(FilterField.TASK_RUN_ID, task_run_id))
        if task_id is not None:
            filters.append(_eq(FilterField.TASK_ID, task_id))
        request = SearchRequest(filters=tuple(filters), sort=sort, page=page or Page(), tenant=tenant)
        return await self.search(request)

    async def names(
        self, namespace: str, flow_id: str, *, task_id: str | None = None, tenant: str | None = None
    ) -> list[str]:
        filters = [_eq(FilterField.NAMESPACE, namespace), _eq(FilterField.FLOW_ID, flow_id)]
        if task_id is not None:
            filters.append(_eq(FilterField.TASK_ID, task_id))
        request = SearchRequest(filters=tuple(filters), tenant=tenant)
        return await self._backend.distinct(IndexKey.METRICS, self._compile(request), "name")

    async def task_ids(self, namespace: str, flow_id: str, *, tenant: str | None = None) -> list[str]:
        filters = (_eq(FilterField.NAMESPACE, namespace), _eq(FilterField.FLOW_ID, flow_id))
        request = SearchRequest(filters=filters, tenant=tenant)
        return await self._backend.distinct(IndexKey.METRICS, self._compile(request), "taskId")


class TriggerStore(_Resource):
    resource = Resource.TRIGGER

    async def search(self, request: SearchRequest) -> PagedResults[TriggerRecord]:
        documents, total = await self._search_documents(request)
        return PagedResults(results=[TriggerRecord.model_validate(doc) for doc in documents], total=total)

    async def find(
        self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str | None = None
    ) -> TriggerRecord | None:
        for doc_id in _tenant_ids(tenant, namespace, flow_id, trigger_id):
            stored = await self._backend.get(IndexKey.TRIGGERS, doc_id)
            if stored is not None:
                return TriggerRecord.model_validate(stored.document)
        return None


class KVMetadataStore(_Resource):
    resource = Resource.KV_METADATA

    async def search(self, request: SearchRequest) -> PagedResults[KVMetadata]:
        documents, total = await self._search_documents(request)
        return PagedResults(results=[KVMetadata.model_validate(doc) for doc in documents], total=total)

    async def list_by_namespace(self, namespace: str, *, tenant: str | None = None) -> list[KVMetadata]:
        request = SearchRequest(
            filters=(_eq(FilterField.NAMESPACE, namespace),), sort=(Sort(field="key"),), tenant=tenant
        )
        return [KVMetadata.model_validate(stored.document) async for stored in self._scan_documents(request)]


class NamespaceStore:
    def __init__(self, *, backend: Backend, options: RepositoryOptions) -> None:
        self._backend = backend
        self._options = options

    async def search(
        self,
        *,
        q: str | None = None,
        page: Page | None = None,
        existing_only: bool = False,
        tenant: str | None = None,
    ) -> PagedResults[Namespace]:
        page = page or Page()
        conditions: list[Condition] = [Not(Terms("deleted", (True,)))]
        if tenant is not None:
            conditions.append(tenant_condition(tenant))
        live = All(tuple(conditions))
        names: set[str] = set()
        for index in (IndexKey.FLOWS, IndexKey.KV_METADATA):
            names.update(await self._backend.distinct(index, live, "namespace"))
        if not existing_only:
            names.update(_parents(names))
            names.add(self._options.system_namespace)
        if q:
            names = {name for name in names if q.lower() in name.lower()}
        ordered = sorted(names)
        chosen = ordered[page.offset : page.offset + page.size]
        return PagedResults(results=[Namespace(id=name) for name in chosen], total=len(ordered))


def _parents(names: set[str]) -> set[str]:
    parents: set[str] = set()
    for name in names:
        parts = name.split(".")
        parents.update(".".join(parts[:end]) for end in range(1, len(parts)))
    return parents


class Repositories:
    """Every repository over one backend: what :class:`MemoryRepository` and
    :class:`ElasticsearchRepository` are."""

    def __init__(self, *, backend: Backend, options: RepositoryOptions | None = None) -> None:
        options = options or RepositoryOptions()
        self._backend = backend
        self.flows = FlowStore(backend=backend, options=options)
        self.executions = ExecutionStore(backend=backend, options=options)
        self.logs = LogStore(backend=backend, options=options)
        self.metrics = MetricStore(backend=backend, options=options)
        self.triggers = TriggerStore(backend=backend, options=options)
        self.kv = KVMetadataStore(backend=backend, options=options)
        self.namespaces = NamespaceStore(backend=backend, options=options)
        self.writer = backend

    async def close(self) -> None:
        await self._backend.close()


def execution_upsert(execution: Execution | dict[str, Any], *, version: int | None) -> Upsert:
    """The write the indexer makes for one execution snapshot (also used to seed tests)."""
    document = execution_document(execution)
    return Upsert(index=IndexKey.EXECUTIONS, doc_id=str(document["id"]), document=document, version=version)
