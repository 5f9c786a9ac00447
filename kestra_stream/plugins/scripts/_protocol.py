"""The script stdout/stderr protocol: ``::{"outputs"|"metrics"|"logs": …}::`` lines, others are logs."""

from __future__ import annotations

import re
import threading
from typing import Any, Literal

import orjson

from kestra_stream.plugins.context import LogLevel, RunContext
from kestra_stream.runtime.sinks import normalize_level

Stream = Literal["stdout", "stderr"]
_COMMAND = re.compile(r"^::(\{.*\})::$")


class ScriptOutputCollector:
    """Turns each line of a script's output into outputs, metrics or log lines (thread-safe)."""

    def __init__(self, ctx: RunContext, *, stderr_level: LogLevel = "ERROR") -> None:
        self._ctx = ctx
        self._stderr_level = stderr_level
        self._lock = threading.Lock()
        self.vars: dict[str, Any] = {}
        self.stdout_lines = 0
        self.stderr_lines = 0

    def line(self, text: str, stream: Stream) -> None:
        text = text.rstrip("\r\n")
        with self._lock:
            if stream == "stdout":
                self.stdout_lines += 1
            else:
                self.stderr_lines += 1
            match = _COMMAND.match(text.strip())
            if match and self._command(match.group(1)):
                return
            self._ctx.logger.log("INFO" if stream == "stdout" else self._stderr_level, text)

    def _command(self, payload: str) -> bool:
        try:
            message = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(message, dict):
            return False
        outputs = message.get("outputs")
        if isinstance(outputs, dict):
            self.vars.update(outputs)
        for metric in message.get("metrics") or []:
            self._metric(metric)
        for log in message.get("logs") or []:
            self._log(log)
        return True

    def _metric(self, metric: Any) -> None:
        if not isinstance(metric, dict) or metric.get("type") not in ("counter", "timer"):
            self._ctx.logger.warn(f"ignored malformed metric from the script: {metric!r}")
            return
        try:
            value = float(metric["value"])
        except (KeyError, TypeError, ValueError):
            self._ctx.logger.warn(f"ignored metric without a numeric value: {metric!r}")
            return
        tags = {str(key): _tag(item) for key, item in (metric.get("tags") or {}).items()}
        self._ctx.metric(str(metric.get("name")), metric["type"], value, tags)

    def _log(self, log: Any) -> None:
        if not isinstance(log, dict):
            return
        try:
            level = normalize_level(str(log.get("level") or "INFO"))
        except ValueError:
            level = "INFO"
        self._ctx.logger.log(level, str(log.get("message", "")))


def _tag(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
