"""Log lines and metric points emitted by task runs and triggers."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from kestra_stream.models.dates import Instant, utc_now
from kestra_stream.models.execution import ExecutionKind
from kestra_stream.models.payload import Payload
from kestra_stream.models.task_options import LogLevel


class LogEntry(Payload):
    tenant_id: str | None = None
    namespace: str
    flow_id: str
    task_id: str | None = None
    execution_id: str | None = None
    task_run_id: str | None = None
    attempt_number: int | None = None
    trigger_id: str | None = None
    timestamp: Instant = Field(default_factory=utc_now)
    level: LogLevel = LogLevel.INFO
    thread: str | None = None
    message: str | None = None
    execution_kind: ExecutionKind | None = None
    deleted: bool = False


class MetricType(StrEnum):
    COUNTER = "counter"
    TIMER = "timer"


class MetricEntry(Payload):
    tenant_id: str | None = None
    namespace: str
    flow_id: str
    task_id: str | None = None
    execution_id: str | None = None
    task_run_id: str | None = None
    type: MetricType
    name: str
    value: float
    timestamp: Instant = Field(default_factory=utc_now)
    tags: dict[str, str] | None = None
    execution_kind: ExecutionKind | None = None
    deleted: bool = False
