"""Documents for the contract tests, written through the indexer's own document functions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kestra_stream.models import (
    Execution,
    ExecutionKind,
    ExecutionTrigger,
    Label,
    LogEntry,
    LogLevel,
    MetricEntry,
    MetricType,
    State,
    StateHistory,
    StateType,
    TriggerRecord,
)
from kestra_stream.repository import FlowRecord, IndexKey, KVMetadata, Upsert, execution_upsert
from kestra_stream.repository.documents import (
    kv_document,
    kv_id,
    log_document,
    metric_document,
    trigger_document,
    trigger_id,
)

from .conftest import NOW


def execution(
    execution_id: str,
    *,
    namespace: str = "io.kestra.tests",
    flow_id: str = "hello",
    state: StateType = StateType.SUCCESS,
    started: datetime = NOW - timedelta(hours=1),
    seconds: float = 2.0,
    labels: dict[str, str] | None = None,
    parent: str | None = None,
    kind: ExecutionKind | None = None,
) -> Execution:
    histories = [StateHistory(state=StateType.CREATED, date=started)]
    if state is not StateType.CREATED:
        histories.append(StateHistory(state=state, date=started + timedelta(seconds=seconds)))
    trigger = None
    if parent is not None:
        trigger = ExecutionTrigger(
            id="subflow", type="io.kestra.plugin.core.flow.Subflow", variables={"executionId": parent}
        )
    return Execution(
        id=execution_id,
        namespace=namespace,
        flow_id=flow_id,
        flow_revision=1,
        state=State(current=state, histories=tuple(histories)),
        labels=tuple(Label(key=k, value=v) for k, v in (labels or {}).items()) or None,
        trigger=trigger,
        kind=kind,
    )


def executions(*items: Execution, version: int = 1) -> list[Upsert]:
    return [execution_upsert(item, version=version) for item in items]


def flow(namespace: str, flow_id: str, *, source_suffix: str = "", **extra: Any) -> FlowRecord:
    source = (
        f"id: {flow_id}\nnamespace: {namespace}\ntasks:\n"
        f"  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi{source_suffix}\n"
    )
    tasks = [{"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "hi"}]
    return FlowRecord.model_validate(
        {"id": flow_id, "namespace": namespace, "revision": 1, "source": source, "tasks": tasks, **extra}
    )


def log(
    doc_id: str,
    execution_id: str,
    message: str,
    *,
    level: LogLevel = LogLevel.INFO,
    at: datetime = NOW,
    task_run_id: str | None = None,
    task_id: str | None = None,
    namespace: str = "io.kestra.tests",
    attempt: int | None = None,
) -> Upsert:
    entry = LogEntry(
        namespace=namespace,
        flow_id="hello",
        execution_id=execution_id,
        task_run_id=task_run_id,
        task_id=task_id,
        timestamp=at,
        level=level,
        message=message,
        attempt_number=attempt,
    )
    return Upsert(index=IndexKey.LOGS, doc_id=doc_id, document=log_document(entry, doc_id))


def metric(
    doc_id: str, execution_id: str, name: str, value: float, *, task_id: str = "t", at: datetime = NOW
) -> Upsert:
    entry = MetricEntry(
        namespace="io.kestra.tests",
        flow_id="hello",
        execution_id=execution_id,
        task_id=task_id,
        task_run_id=f"{task_id}-run",
        type=MetricType.COUNTER,
        name=name,
        value=value,
        timestamp=at,
    )
    return Upsert(index=IndexKey.METRICS, doc_id=doc_id, document=metric_document(entry, doc_id))


def trigger(
    namespace: str, flow_id: str, trigger_name: str, *, disabled: bool = False, worker: str | None = None
) -> Upsert:
    record = TriggerRecord(
        namespace=namespace,
        flow_id=flow_id,
        trigger_id=trigger_name,
        disabled=disabled,
        worker_id=worker,
        date=NOW,
    )
    document = trigger_document(record)
    return Upsert(index=IndexKey.TRIGGERS, doc_id=trigger_id(document), document=document, version=1)


def kv(namespace: str, key: str, *, description: str | None = None, deleted: bool = False) -> Upsert:
    entry = KVMetadata(
        namespace=namespace, key=key, description=description, update_date=NOW, deleted=deleted
    )
    document = kv_document(entry)
    return Upsert(index=IndexKey.KV_METADATA, doc_id=kv_id(document), document=document, version=1)
