"""``handle``: the pure entry point of the orchestration core."""

from __future__ import annotations

import contextlib
import traceback
from datetime import datetime
from typing import Any

from kestra_stream.executor.core._advance import advance, announce_end
from kestra_stream.executor.core._attempts import apply_worker_result, resubmit_runs_of_dead_worker
from kestra_stream.executor.core._checks_sla import assert_slas
from kestra_stream.executor.core._flow_index import flow_index
from kestra_stream.executor.core._flow_triggers import DEFAULT_STATES, evaluate_flow_triggers
from kestra_stream.executor.core._flowables import apply_subflow_ended
from kestra_stream.executor.core._operations import (
    PURGE,
    apply_concurrency_decision,
    change_task_run_state,
    fire_timer,
    kill_execution,
    pause_execution,
    restart_execution,
    resume_execution,
    start_execution,
    unqueue,
)
from kestra_stream.executor.core._types import (
    CoreSettings,
    EmitKill,
    ExecutorEvent,
    FlowLookup,
    Outcome,
    TimerFired,
    WorkerDied,
)
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import (
    ChangeTaskRunState,
    ConcurrencyDecision,
    ExecutionKilled,
    KillExecution,
    NewExecution,
    PauseExecution,
    PurgeExecution,
    RestartExecution,
    ResumeExecution,
    SubflowEnded,
    Unqueue,
    WorkerTaskResult,
)
from kestra_stream.executor.state import ExecutorState, TimerKind
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel

_DEFAULT_SETTINGS: CoreSettings | None = None


def default_settings() -> CoreSettings:
    global _DEFAULT_SETTINGS
    if _DEFAULT_SETTINGS is None:
        _DEFAULT_SETTINGS = CoreSettings()
    return _DEFAULT_SETTINGS


def handle(
    state: ExecutorState | None,
    event: ExecutorEvent,
    *,
    flows: FlowLookup,
    now: datetime,
    settings: CoreSettings | None = None,
) -> Outcome:
    """Apply one event to one execution: the new state and the commands to produce. No I/O, never raises.

    An exception inside a rule fails the execution (poison event) with the error logged.
    """
    settings = settings or default_settings()
    try:
        return _handle(state, event, flows=flows, now=now, settings=settings)
    except Exception as error:
        return fail_on_error(state, event, error, now=now, settings=settings, flows=flows)


def _working(state: ExecutorState, flows: FlowLookup, now: datetime, settings: CoreSettings) -> Working:
    execution = state.execution
    flow = flows(execution.namespace, execution.flow_id, execution.flow_revision)
    return Working(state, index=flow_index(flow) if flow is not None else None, settings=settings, now=now)


def _ignored(state: ExecutorState | None, working: Working | None = None) -> Outcome:
    return Outcome(state=state, commands=tuple(working.commands) if working else (), changed=False)


def _handle(
    state: ExecutorState | None,
    event: ExecutorEvent,
    *,
    flows: FlowLookup,
    now: datetime,
    settings: CoreSettings,
) -> Outcome:
    if isinstance(event, NewExecution):
        if state is not None:
            return _ignored(state)
        state = ExecutorState(execution=event.execution)
        working = _working(state, flows, now, settings)
        transitions = len(working.state.histories)
        start_execution(working)
    else:
        if state is None and isinstance(event, RestartExecution) and event.execution is not None:
            state = ExecutorState(execution=event.execution)
        if state is None:
            return _ignored(None)
        working = _working(state, flows, now, settings)
        transitions = len(working.state.histories)
        if not _apply(working, event, flows):
            return _ignored(state, working)
    if working.extra.get(PURGE):
        if working.current.is_terminated() and not any(True for _ in working.active_runs()):
            return Outcome(state=None, commands=tuple(working.commands))
        working.set_extra(PURGE, None)
    advance(working, flows)
    after_transition(working, flows, transitions)
    return Outcome(state=working.freeze(state), commands=tuple(working.commands), changed=working.changed)


def after_transition(working: Working, flows: Any, transitions: int) -> None:
    """The execution changed state in this event: SLA assertions, then (terminal/PAUSED) Flow triggers."""
    if len(working.state.histories) <= transitions:
        return
    if assert_slas(working):
        advance(working, flows)
    if working.current in DEFAULT_STATES:
        evaluate_flow_triggers(working, flows)


def _apply(working: Working, event: ExecutorEvent, flows: Any) -> bool:
    if isinstance(event, WorkerTaskResult):
        return apply_worker_result(working, event)
    if isinstance(event, TimerFired):
        timer = working.timers.get(event.timer_id)
        return timer is not None and fire_timer(working, timer)
    if isinstance(event, WorkerDied):
        return resubmit_runs_of_dead_worker(working, event.worker_id)
    if isinstance(event, SubflowEnded):
        return apply_subflow_ended(working, event)
    if isinstance(event, KillExecution):
        return kill_execution(working, event)
    if isinstance(event, PauseExecution):
        return pause_execution(working)
    if isinstance(event, ResumeExecution):
        return resume_execution(working, event)
    if isinstance(event, PurgeExecution):
        if not working.current.is_terminated():
            return False
        working.set_extra(PURGE, True)
        return True
    if isinstance(event, RestartExecution):
        return restart_execution(working, event, flows)
    if isinstance(event, ChangeTaskRunState):
        return change_task_run_state(working, event)
    if isinstance(event, Unqueue):
        return unqueue(working, event)
    if isinstance(event, ConcurrencyDecision):
        return apply_concurrency_decision(working, event)
    return False


def fail_on_error(
    state: ExecutorState | None,
    event: ExecutorEvent,
    error: Exception,
    *,
    now: datetime,
    settings: CoreSettings,
    message: str | None = None,
    flows: Any = None,
) -> Outcome:
    """Poison event: the execution (not the process) fails, with the error logged."""
    if state is None and isinstance(event, NewExecution):
        state = ExecutorState(execution=event.execution)
    if state is None:
        return Outcome(state=None, commands=(), changed=False)
    working = Working(state, index=None, settings=settings, now=now)
    detail = message or "".join(traceback.format_exception_only(type(error), error)).strip()
    working.log(LogLevel.ERROR, f"Execution failed in the executor: {detail}")
    if not working.current.is_terminated():
        working.set_execution_state(StateType.FAILED)
        working.emit(EmitKill(kill=ExecutionKilled(execution_id=working.execution_id)))
        with contextlib.suppress(Exception):
            announce_end(working)
        if flows is not None:
            with contextlib.suppress(Exception):
                evaluate_flow_triggers(working, flows)
    working.cancel_timers()
    working.add_timer(TimerKind.PURGE, now + settings.purge_after)
    working.extra["afterExecutionDone"] = True
    return Outcome(state=working.freeze(state), commands=tuple(working.commands))
