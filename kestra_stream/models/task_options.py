"""Value types of the properties every task (and trigger) shares."""

from __future__ import annotations

from enum import StrEnum

from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import Duration


class LogLevel(StrEnum):
    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {LogLevel.TRACE: 0, LogLevel.DEBUG: 1, LogLevel.INFO: 2, LogLevel.WARN: 3, LogLevel.ERROR: 4}


class WorkerGroupFallback(StrEnum):
    WAIT = "WAIT"
    FAIL = "FAIL"
    CANCEL = "CANCEL"


class WorkerGroup(KestraModel):
    """Which workers may run the task (EE); a blank ``key`` means the default group."""

    key: str | None = None
    fallback: WorkerGroupFallback = WorkerGroupFallback.WAIT


class TaskCache(KestraModel):
    """Reuse the outputs of an identical earlier run until ``ttl`` expires."""

    enabled: bool
    ttl: Duration | None = None
