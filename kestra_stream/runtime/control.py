"""What control-plane tasks reach beyond storage and KV: the repository and the command topics.

``execution.Count``/``Resume``/``PurgeExecutions``, ``log.Fetch``/``PurgeLogs`` and ``trigger.Toggle``
run on a worker, as in Kestra. They read and purge through this protocol and send the same commands
the API sends (an execution message for the executor owning it, a trigger command for the scheduler).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from kestra_stream.executor.messages import ExecutionMessage
from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry
from kestra_stream.plugins.context import RunContext
from kestra_stream.repository.filters import SearchRequest
from kestra_stream.repository.records import FlowRecord
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.scheduler.messages import TriggerCommand


class ControlPlaneUnavailableError(RuntimeError):
    """This process has no repository (a memory worker without an indexer in the same process)."""


@runtime_checkable
class ControlPlane(Protocol):
    def find_execution(self, execution_id: str, *, tenant: str | None = None) -> Execution | None: ...

    def count_executions(self, request: SearchRequest) -> int: ...

    def executions(self, request: SearchRequest) -> Iterator[Execution]:
        """Every match, in the request's sort order."""
        ...

    def logs(self, request: SearchRequest) -> Iterator[LogEntry]: ...

    def delete_execution(self, execution_id: str) -> bool:
        """Hard delete from the repository."""
        ...

    def delete_logs(self, request: SearchRequest) -> int: ...

    def delete_metrics(self, request: SearchRequest) -> int: ...

    def find_flow(self, namespace: str, flow_id: str, *, tenant: str | None = None) -> FlowRecord | None: ...

    def send_execution_message(self, message: ExecutionMessage) -> None:
        """Delivered (flushed) when this returns."""
        ...

    def send_trigger_command(self, command: TriggerCommand) -> None: ...


@runtime_checkable
class ControlAware(Protocol):
    @property
    def control(self) -> ControlPlane | None: ...


def control_plane(ctx: RunContext) -> ControlPlane:
    control = ctx.control if isinstance(ctx, ControlAware) else None
    if control is None:
        raise TaskFailure(
            "this task needs the repository and the command topics, which this worker does not have"
        )
    return control
