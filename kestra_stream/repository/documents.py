"""The Elasticsearch document of each record, and back: shared by the indexer and both repositories.

Documents are Kestra's JSON (camelCase) with two derived fields the mappings index:
``state.duration`` in seconds (the model writes an ISO duration) and ``triggerExecutionId`` (the
execution that triggered this one: subflow parent or flow trigger, from ``trigger.variables`` which is
not indexed). Logs and metrics get an ``id`` (their document id) to page and sort on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.models.durations import DurationError, parse_duration
from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry, MetricEntry
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.repository.records import FlowRecord, KVMetadata

Document = dict[str, Any]


def execution_document(execution: Mapping[str, Any] | Execution) -> Document:
    data = execution.to_json_dict() if isinstance(execution, Execution) else dict(execution)
    state = data.get("state")
    if isinstance(state, Mapping):
        state = dict(state)
        duration = state.get("duration")
        if isinstance(duration, str):
            try:
                state["duration"] = parse_duration(duration).total_seconds()
            except DurationError:
                state.pop("duration")
        data["state"] = state
    trigger = data.get("trigger")
    variables = trigger.get("variables") if isinstance(trigger, Mapping) else None
    parent = variables.get("executionId") if isinstance(variables, Mapping) else None
    parent = parent or data.get("parentId")
    if isinstance(parent, str) and parent:
        data["triggerExecutionId"] = parent
    return data


def execution_from_document(document: Mapping[str, Any]) -> Execution:
    result: Execution = Execution.model_validate(document)
    return result


def flow_document(flow: Mapping[str, Any] | FlowRecord) -> Document:
    return flow.to_json_dict() if isinstance(flow, FlowRecord) else dict(flow)


def flow_ids(flow: Mapping[str, Any]) -> tuple[str, str]:
    """(id of the latest view, id of this revision): ``tenant_namespace_id`` and ``..._revision``."""
    base = "_".join(str(p) for p in (flow.get("tenantId"), flow.get("namespace"), flow.get("id")) if p)
    return base, f"{base}_{flow.get('revision')}"


def trigger_document(trigger: Mapping[str, Any] | TriggerRecord) -> Document:
    return trigger.to_json_dict() if isinstance(trigger, TriggerRecord) else dict(trigger)


def trigger_id(trigger: Mapping[str, Any]) -> str:
    parts = (
        trigger.get("tenantId"),
        trigger.get("namespace"),
        trigger.get("flowId"),
        trigger.get("triggerId"),
    )
    return "_".join(str(p) for p in parts if p)


def kv_document(entry: Mapping[str, Any] | KVMetadata) -> Document:
    return entry.to_json_dict() if isinstance(entry, KVMetadata) else dict(entry)


def kv_id(entry: Mapping[str, Any]) -> str:
    return "_".join(str(p) for p in (entry.get("tenantId"), entry.get("namespace"), entry.get("key")) if p)


def log_document(entry: Mapping[str, Any] | LogEntry, doc_id: str) -> Document:
    data = entry.to_json_dict() if isinstance(entry, LogEntry) else dict(entry)
    data["id"] = doc_id
    return data


def metric_document(entry: Mapping[str, Any] | MetricEntry, doc_id: str) -> Document:
    data = entry.to_json_dict() if isinstance(entry, MetricEntry) else dict(entry)
    data["id"] = doc_id
    return data


def key_to_id(key: str | bytes | None) -> str | None:
    """The document id of a compacted topic's key (``tenant/namespace/name`` → ``tenant_namespace_name``)."""
    if key is None:
        return None
    text = key.decode() if isinstance(key, bytes) else key
    return "_".join(part for part in text.split("/") if part) or None
