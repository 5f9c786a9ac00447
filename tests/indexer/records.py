"""Source records as the executor, webserver and workers write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from kestra_stream.indexer import SourceRecord
from kestra_stream.models import Execution, LogEntry, State, StateHistory, StateType

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def execution(execution_id: str, *, state: StateType) -> Execution:
    histories = [StateHistory(state=StateType.CREATED, date=NOW)]
    if state is not StateType.CREATED:
        histories.append(StateHistory(state=state, date=NOW + timedelta(seconds=1)))
    return Execution(
        id=execution_id,
        namespace="io.kestra.tests",
        flow_id="hello",
        flow_revision=1,
        state=State(current=state, histories=tuple(histories)),
    )


def snapshot(execution_id: str, state: StateType, offset: int, *, partition: int = 0) -> SourceRecord:
    item: Execution = execution(execution_id, state=state)
    value = orjson.dumps({"execution": item.to_json_dict(), "timers": []})
    return SourceRecord(
        topic="execution-states", partition=partition, offset=offset, key=execution_id.encode(), value=value
    )


def log_record(execution_id: str, message: str, offset: int, *, partition: int = 0) -> SourceRecord:
    entry = LogEntry(
        namespace="io.kestra.tests",
        flow_id="hello",
        execution_id=execution_id,
        message=message,
        timestamp=NOW + timedelta(milliseconds=offset),
    )
    return SourceRecord(topic="logs", partition=partition, offset=offset, key=None, value=entry.to_json())


def flow_record(flow_id: str, revision: int, offset: int, *, deleted: bool = False) -> SourceRecord:
    value = {
        "id": flow_id,
        "namespace": "io.kestra",
        "revision": revision,
        "deleted": deleted,
        "source": f"id: {flow_id}\n# revision {revision}",
        "tasks": [{"id": "t", "type": "io.kestra.plugin.core.log.Log"}],
    }
    return SourceRecord(
        topic="flows",
        partition=0,
        offset=offset,
        key=f"io.kestra/{flow_id}".encode(),
        value=orjson.dumps(value),
    )


def trigger_record(
    trigger_id: str, offset: int, *, worker: str | None, tombstone: bool = False
) -> SourceRecord:
    key = f"io.kestra/hello/{trigger_id}".encode()
    value = None
    if not tombstone:
        data = {"namespace": "io.kestra", "flowId": "hello", "triggerId": trigger_id, "workerId": worker}
        value = orjson.dumps({k: v for k, v in data.items() if v is not None})
    return SourceRecord(topic="triggers", partition=0, offset=offset, key=key, value=value)
