"""Failing an execution from outside the rules (the shell's last resort: an undecodable event, a core
exception, an output over the message limit)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from kestra_stream.executor.core._advance import AFTER_EXECUTION_DONE, announce_end
from kestra_stream.executor.core._flow_triggers import evaluate_flow_triggers
from kestra_stream.executor.core._types import CoreSettings, EmitKill, Outcome
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import ExecutionKilled
from kestra_stream.executor.state import ExecutorState, TimerKind
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel


def fail_execution(
    state: ExecutorState,
    reason: str,
    *,
    now: datetime,
    settings: CoreSettings | None = None,
    flows: Any = None,
) -> Outcome:
    """The execution FAILED with ``reason`` logged (ERROR), whatever its rules would have done.

    Unless it already ended: every task run still in progress is FAILED (its current attempt too) and a
    kill notice stops what workers still run for it; the parent hears of the end and the concurrency
    slot is released (``announce_end``); Flow triggers are evaluated when ``flows`` is given. Every
    pending timer is replaced by the purge timer, and ``afterExecution`` is not run. A terminated
    execution only gets the log and the purge timer.
    """
    from kestra_stream.executor.core._handle import default_settings

    settings = settings or default_settings()
    working = Working(state, index=None, settings=settings, now=now)
    working.log(LogLevel.ERROR, reason)
    if not working.current.is_terminated():
        for run in list(working.active_runs()):
            if run.attempts and not run.attempts[-1].state.current.is_terminated():
                run = working.set_attempt_state(run, StateType.FAILED)
            working.set_run_state(run, StateType.FAILED)
        working.set_execution_state(StateType.FAILED)
        working.emit(EmitKill(kill=ExecutionKilled(execution_id=working.execution_id)))
        announce_end(working)
        if flows is not None:
            with contextlib.suppress(Exception):
                evaluate_flow_triggers(working, flows)
    working.cancel_timers()
    working.add_timer(TimerKind.PURGE, now + settings.purge_after)
    working.set_extra(AFTER_EXECUTION_DONE, True)
    return Outcome(state=working.freeze(state), commands=tuple(working.commands))
