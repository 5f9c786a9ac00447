"""What a runnable task sees while it runs: the contract between tasks and the worker.

Tasks only talk to this protocol; the worker (and tests) provide implementations. Keeping it a
protocol lets the flow language be tested without Kafka and lets the worker change freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

MetricType = Literal["counter", "timer"]
LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


class TaskLogger(Protocol):
    def log(self, level: LogLevel, message: str) -> None: ...

    def trace(self, message: str) -> None: ...

    def debug(self, message: str) -> None: ...

    def info(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def error(self, message: str) -> None: ...


class KVStore(Protocol):
    """The namespace key-value store (values are JSON-compatible, TTL as ISO-8601 duration)."""

    def get(self, namespace: str, key: str) -> Any | None: ...

    def set(
        self, namespace: str, key: str, value: Any, *, ttl: str | None = None, overwrite: bool = True
    ) -> None: ...

    def delete(self, namespace: str, key: str) -> bool: ...

    def keys(self, namespace: str, prefix: str | None = None) -> list[str]: ...


class RunContext(Protocol):
    """Services and variables of one task run attempt."""

    @property
    def variables(self) -> Mapping[str, Any]:
        """The expression context: flow, execution, task, taskrun, inputs, outputs, vars, ..."""

    @property
    def logger(self) -> TaskLogger: ...

    @property
    def kv(self) -> KVStore: ...

    @property
    def working_dir(self) -> Path:
        """A fresh directory owned by this attempt, removed after it."""

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """Render a dynamic property (strings, and strings nested in lists and dicts).

        A string made of exactly one ``{{ expression }}`` keeps the expression's native type.
        ``extra`` adds variables on top of :attr:`variables` for this call only.
        """

    def metric(
        self, name: str, type: MetricType, value: float, tags: Mapping[str, str] | None = None
    ) -> None: ...

    def put_file(self, path: Path, name: str | None = None) -> str:
        """Store a local file in internal storage under this task run; return its ``kestra://`` URI."""

    def get_file(self, uri: str, destination: Path) -> Path:
        """Copy a ``kestra://`` (or allowed ``nsfile://``/``file://``) file to a local path."""
