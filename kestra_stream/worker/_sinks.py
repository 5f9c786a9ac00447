"""Task logs and metrics to the ``logs`` and ``metrics`` topics."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from kestra_stream.models.logs import LogEntry, MetricEntry, MetricType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.queue import Producer, TopicRef
from kestra_stream.runtime import LogRecord, MetricRecord

log = structlog.get_logger(__name__)

LOGS = TopicRef("logs")
METRICS = TopicRef("metrics")


class QueueSink:
    def __init__(self, *, producer: Producer) -> None:
        self._producer = producer

    def emit_log(self, record: LogRecord) -> None:
        identity = record.identity
        entry = LogEntry(
            tenant_id=identity.tenant_id,
            namespace=identity.namespace,
            flow_id=identity.flow_id,
            task_id=identity.task_id,
            execution_id=identity.execution_id,
            task_run_id=identity.task_run_id,
            attempt_number=identity.attempt,
            timestamp=datetime.fromtimestamp(record.timestamp, UTC),
            level=LogLevel(record.level),
            message=record.message,
        )
        self._send(LOGS, None, entry.to_json())

    def emit_metric(self, record: MetricRecord) -> None:
        identity = record.identity
        entry = MetricEntry(
            tenant_id=identity.tenant_id,
            namespace=identity.namespace,
            flow_id=identity.flow_id,
            task_id=identity.task_id,
            execution_id=identity.execution_id,
            task_run_id=identity.task_run_id,
            type=MetricType(record.type),
            name=record.name,
            value=record.value,
            timestamp=datetime.fromtimestamp(record.timestamp or 0, UTC),
            tags=record.tags or None,
        )
        self._send(METRICS, identity.execution_id.encode(), entry.to_json())

    def _send(self, topic: TopicRef, key: bytes | None, value: bytes) -> None:
        try:
            self._producer.produce(topic, key=key, value=value)
        except Exception as error:  # a lost log line must not fail the task
            log.warning("worker.sink_failed", topic=str(topic), error=str(error))
