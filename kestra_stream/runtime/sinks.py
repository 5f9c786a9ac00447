"""Where a task run's logs and metrics go: the worker forwards them to the queue, tests collect them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol, get_args

from kestra_stream.models.task_options import LogLevel as LevelEnum
from kestra_stream.plugins.context import LogLevel, MetricType

LEVELS: tuple[LogLevel, ...] = get_args(LogLevel)
_LEVEL_ALIASES: dict[str, LogLevel] = {"WARNING": "WARN", "FATAL": "ERROR", "CRITICAL": "ERROR"}


def normalize_level(level: str) -> LogLevel:
    upper = level.strip().upper()
    upper = _LEVEL_ALIASES.get(upper, upper)
    for known in LEVELS:
        if known == upper:
            return known
    raise ValueError(f"unknown log level {level!r} (expected one of {', '.join(LEVELS)})")


def level_rank(level: LogLevel) -> int:
    return LevelEnum(level).severity


@dataclass(frozen=True, kw_only=True)
class TaskRunIdentity:
    """Which task run attempt a file, log line or metric belongs to."""

    namespace: str
    flow_id: str
    execution_id: str
    task_id: str
    task_run_id: str
    attempt: int = 0
    value: str | None = None
    tenant_id: str = "main"


@dataclass(frozen=True, kw_only=True)
class LogRecord:
    identity: TaskRunIdentity
    level: LogLevel
    message: str
    timestamp: float


@dataclass(frozen=True, kw_only=True)
class MetricRecord:
    identity: TaskRunIdentity
    name: str
    type: MetricType
    value: float
    tags: dict[str, str] = field(default_factory=dict)
    timestamp: float = 0.0


class LogSink(Protocol):
    def emit_log(self, record: LogRecord) -> None: ...


class MetricSink(Protocol):
    def emit_metric(self, record: MetricRecord) -> None: ...


class CollectingSink:
    """Keeps logs and metrics in memory (tests, ``server local`` and worker batching)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.logs: list[LogRecord] = []
        self.metrics: list[MetricRecord] = []

    def emit_log(self, record: LogRecord) -> None:
        with self._lock:
            self.logs.append(record)

    def emit_metric(self, record: MetricRecord) -> None:
        with self._lock:
            self.metrics.append(record)

    def messages(self, level: LogLevel | None = None) -> list[str]:
        with self._lock:
            return [log.message for log in self.logs if level is None or log.level == level]

    def metric(self, name: str) -> MetricRecord:
        with self._lock:
            matches = [metric for metric in self.metrics if metric.name == name]
        if not matches:
            raise KeyError(name)
        return matches[-1]
