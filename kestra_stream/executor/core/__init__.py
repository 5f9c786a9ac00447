"""The pure orchestration core: ``handle(state, event, *, flows, now) -> Outcome`` (docs/engine.md).

Rules, states and coverage: docs/state-machine.md.
"""

from kestra_stream.executor.core._context import build_context
from kestra_stream.executor.core._fail import fail_execution
from kestra_stream.executor.core._handle import handle
from kestra_stream.executor.core._size import guard_state_size
from kestra_stream.executor.core._types import (
    DEFAULT_MESSAGE_LIMIT,
    Command,
    CoreSettings,
    EmitConcurrencyRequest,
    EmitExecutionMessage,
    EmitKill,
    EmitLog,
    EmitPreconditionRequest,
    ExecutorEvent,
    FlowLookup,
    FlowTriggerSource,
    Outcome,
    SubmitWorkerJob,
    TimerFired,
    WorkerDied,
    WorkerGroups,
)

__all__ = [
    "DEFAULT_MESSAGE_LIMIT",
    "Command",
    "CoreSettings",
    "EmitConcurrencyRequest",
    "EmitExecutionMessage",
    "EmitKill",
    "EmitLog",
    "EmitPreconditionRequest",
    "ExecutorEvent",
    "FlowLookup",
    "FlowTriggerSource",
    "Outcome",
    "SubmitWorkerJob",
    "TimerFired",
    "WorkerDied",
    "WorkerGroups",
    "build_context",
    "fail_execution",
    "guard_state_size",
    "handle",
]
