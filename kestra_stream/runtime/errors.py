"""How a task run attempt fails: the worker records the message and any partial outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class TaskFailure(Exception):
    """The task failed; ``outputs`` are kept on the task run (e.g. a script's ``exitCode``)."""

    def __init__(self, message: str, *, outputs: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.outputs: dict[str, Any] = dict(outputs or {})


class TaskTimeoutError(TaskFailure):
    """The attempt ran longer than the task's ``timeout``; it was cancelled."""


class TaskKilledError(TaskFailure):
    """The attempt was cancelled from outside (execution killed, worker stopping)."""
