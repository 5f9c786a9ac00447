"""Tasks changing the execution itself, applied by the executor: variables, early exit and kill.

``Labels`` is a runnable task of :mod:`kestra_stream.plugins.core`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from kestra_stream.plugins.base import ExecutionUpdatingTask, dynamic
from kestra_stream.plugins.registry import plugin

_EXECUTION = "io.kestra.plugin.core.execution"


@plugin(f"{_EXECUTION}.SetVariables")
class SetVariables(ExecutionUpdatingTask):
    variables: dict[str, Any] = dynamic(min_length=1)
    overwrite: bool = True


@plugin(f"{_EXECUTION}.UnsetVariables")
class UnsetVariables(ExecutionUpdatingTask):
    variables: list[str] = Field(min_length=1, description="Keys to remove; dotted paths reach nested ones.")
    ignore_missing: bool = False


class ExitState(StrEnum):
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    KILLED = "KILLED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


@plugin(f"{_EXECUTION}.Exit")
class Exit(ExecutionUpdatingTask):
    state: ExitState = ExitState.SUCCESS


@plugin(f"{_EXECUTION}.Kill")
class Kill(ExecutionUpdatingTask):
    """Kills the current execution (this task run ends KILLED); ``propagateKill`` also kills the
    subflow executions it waits for."""

    propagate_kill: bool | str = dynamic(False)
