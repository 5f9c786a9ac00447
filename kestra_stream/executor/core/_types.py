"""The core's vocabulary: the events it handles, the commands it returns, its settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from kestra_stream.executor.messages import (
    ConcurrencyRequest,
    ExecutionKilled,
    ExecutionMessage,
    PreconditionRequest,
    WorkerJob,
    WorkerTaskResult,
)
from kestra_stream.executor.state import ExecutorState
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.flows.model import Flow
from kestra_stream.models.logs import LogEntry

DEFAULT_MESSAGE_LIMIT = 1_048_576
"""``kestra.kafka.message-protection.limit``: a bigger execution state fails the execution."""


# -- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    """A timer of the execution is due (the shell watches :meth:`ExecutorState.next_due`)."""

    timer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerDied:
    """Liveness: ``worker_id`` has been silent too long; its running attempts must be resubmitted."""

    worker_id: str


ExecutorEvent = ExecutionMessage | WorkerTaskResult | TimerFired | WorkerDied


# -- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitWorkerJob:
    """→ ``worker-jobs`` (key: task run id)."""

    job: WorkerJob


@dataclass(frozen=True, slots=True, kw_only=True)
class EmitExecutionMessage:
    """→ ``executions`` (key: ``message.execution_id``, the *target* execution)."""

    message: ExecutionMessage


@dataclass(frozen=True, slots=True, kw_only=True)
class EmitKill:
    """→ ``execution-kills``: workers stop the jobs named."""

    kill: ExecutionKilled


@dataclass(frozen=True, slots=True, kw_only=True)
class EmitLog:
    """→ ``logs``."""

    entry: LogEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class EmitConcurrencyRequest:
    """→ the per-flow concurrency counter (key: ``request.flow_key``); see docs/state-machine.md."""

    request: ConcurrencyRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class EmitPreconditionRequest:
    """→ ``flow-trigger-preconditions`` (key: ``request.trigger_key``): the per-trigger precondition
    store (``core/preconditions.py``) records it and may start the triggered flow."""

    request: PreconditionRequest


Command = (
    SubmitWorkerJob
    | EmitExecutionMessage
    | EmitKill
    | EmitLog
    | EmitConcurrencyRequest
    | EmitPreconditionRequest
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The new state (``None``: purge, write a tombstone) and the commands to produce, in order.

    ``changed`` is false when the event was ignored: the shell need not write the changelog.
    """

    state: ExecutorState | None
    commands: tuple[Command, ...] = ()
    changed: bool = True


class FlowLookup(Protocol):
    """``(namespace, flow_id, revision)`` → the parsed flow (cached by the caller); ``None`` if unknown.

    ``revision=None`` asks for the latest revision.
    """

    def __call__(self, namespace: str, flow_id: str, revision: int | None) -> Flow | None: ...


class FlowTriggerSource(Protocol):
    """Optional extra method of the ``flows`` lookup (the shell's flow cache): every flow, latest
    revision, not deleted, that declares at least one ``io.kestra.plugin.core.trigger.Flow`` trigger.

    Without it the core evaluates no Flow trigger. Called once per execution that terminates or
    pauses, so it should answer a cached sequence (rebuilt when the ``flows`` topic changes).
    """

    def flows_with_flow_triggers(self) -> Iterable[Flow]: ...


class WorkerGroups(Protocol):
    """The shell's view of ``service-instances``: whether a worker of ``group`` is alive now.

    Read when a task run with a ``workerGroup.key`` is submitted, for ``workerGroup.fallback``.
    """

    def has_live_worker(self, group: str) -> bool: ...


_SHARED_ENGINE: ExpressionEngine | None = None


def shared_engine() -> ExpressionEngine:
    global _SHARED_ENGINE
    if _SHARED_ENGINE is None:
        _SHARED_ENGINE = ExpressionEngine()
    return _SHARED_ENGINE


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreSettings:
    """Configuration of the core (immutable; one instance per process)."""

    engine: ExpressionEngine = field(default_factory=shared_engine)
    message_limit: int = DEFAULT_MESSAGE_LIMIT
    timeout_grace: timedelta = timedelta(seconds=60)
    """An attempt running longer than its task ``timeout`` plus this is failed by the executor."""
    purge_after: timedelta = timedelta(minutes=10)
    """How long a terminated execution stays in the store (late results, restart) before its tombstone."""
    envs: Mapping[str, str] = field(default_factory=dict)
    """``{{ envs.* }}``: the process's ``ENV_*`` variables, prefix removed and lower-cased."""
    globals: Mapping[str, Any] = field(default_factory=dict)
    """``{{ globals.* }}``: ``kestra.variables.globals``."""
    kestra: Mapping[str, Any] = field(default_factory=dict)
    """``{{ kestra.url }}`` and ``{{ kestra.environment }}``: ``kestra.url``, ``kestra.environment.name``."""
    worker_id_prefix: str = ""
    worker_groups: WorkerGroups | None = None
    """Liveness of worker groups; ``None`` assumes every group alive (the fallback never applies)."""
