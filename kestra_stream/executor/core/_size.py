"""Message protection (``kestra.kafka.message-protection.limit``): an oversized state fails its execution."""

from __future__ import annotations

from datetime import datetime

from kestra_stream.executor.core._advance import announce_end
from kestra_stream.executor.core._types import CoreSettings, EmitKill, Outcome
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import ExecutionKilled
from kestra_stream.executor.state import ExecutorState, TimerKind
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel


def guard_state_size(
    state: ExecutorState, size: int, *, now: datetime, settings: CoreSettings, limit: int | None = None
) -> Outcome | None:
    """None when ``size`` (bytes of the serialised state) fits; else the execution FAILED and shrunk.

    The shell serialises every new state for the changelog anyway: it calls this with that size and,
    on an Outcome, writes that state and its commands instead. Task run outputs, flow outputs and
    variables are dropped so the failed execution itself fits.
    """
    limit = settings.message_limit if limit is None else limit
    if size <= limit:
        return None
    working = Working(state, index=None, settings=settings, now=now)
    for run in list(working.runs.values()):
        if run.outputs is not None:
            working.set_run_outputs(run, None)
    working.outputs = None
    working.variables = None
    working.log(
        LogLevel.ERROR,
        f"Execution state of {size} bytes exceeds the limit of {limit} bytes "
        "(kestra.kafka.message-protection.limit): the execution is failed. "
        "Store large outputs in internal storage instead.",
    )
    if not working.current.is_terminated():
        working.set_execution_state(StateType.FAILED)
        working.emit(EmitKill(kill=ExecutionKilled(execution_id=working.execution_id)))
        announce_end(working)
    working.cancel_timers()
    working.add_timer(TimerKind.PURGE, now + settings.purge_after)
    working.extra["afterExecutionDone"] = True
    return Outcome(state=working.freeze(state), commands=tuple(working.commands))
