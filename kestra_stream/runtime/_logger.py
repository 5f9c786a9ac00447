"""The ``TaskLogger`` of a task run: stamps each line and drops those under the task's ``logLevel``."""

from __future__ import annotations

import time
from collections.abc import Callable

from kestra_stream.plugins.context import LogLevel
from kestra_stream.runtime.sinks import LogRecord, LogSink, TaskRunIdentity, level_rank, normalize_level


class TaskRunLogger:
    def __init__(
        self,
        *,
        identity: TaskRunIdentity,
        sink: LogSink,
        min_level: LogLevel = "TRACE",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._identity = identity
        self._sink = sink
        self._min_rank = level_rank(min_level)
        self._clock = clock

    def log(self, level: LogLevel, message: str) -> None:
        normalized = normalize_level(level)
        if level_rank(normalized) < self._min_rank:
            return
        self._sink.emit_log(
            LogRecord(identity=self._identity, level=normalized, message=message, timestamp=self._clock())
        )

    def trace(self, message: str) -> None:
        self.log("TRACE", message)

    def debug(self, message: str) -> None:
        self.log("DEBUG", message)

    def info(self, message: str) -> None:
        self.log("INFO", message)

    def warn(self, message: str) -> None:
        self.log("WARN", message)

    def error(self, message: str) -> None:
        self.log("ERROR", message)
