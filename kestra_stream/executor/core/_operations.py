"""Rules for the messages on ``executions`` and for timers and liveness (one function per rule).

``start_execution``, ``begin_running``, ``fire_scheduled_start``, ``apply_concurrency_decision``,
``unqueue``, ``kill_execution``, ``pause_execution``, ``resume_execution``, ``restart_execution``,
``change_task_run_state``, ``fire_timer``, ``terminate_without_tasks``.
"""

from __future__ import annotations

from typing import Any

from kestra_stream.executor.core._advance import (
    AFTER_EXECUTION_DONE,
    MANUAL_PAUSE,
    announce_end,
    flow_key,
    release_concurrency_slot,
)
from kestra_stream.executor.core._attempts import fire_attempt_timeout, fire_retry
from kestra_stream.executor.core._checks_sla import apply_checks, fire_sla, schedule_sla_timers
from kestra_stream.executor.core._flowables import (
    begin_halt,
    fire_loop_timer,
    fire_pause_timeout,
    mark_subflow_restarts,
    resume_pause,
)
from kestra_stream.executor.core._reopen import failed_runs, reopen_runs
from kestra_stream.executor.core._retries import fire_flow_retry
from kestra_stream.executor.core._types import EmitConcurrencyRequest
from kestra_stream.executor.core._unsupported import warn_unsupported_properties
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import (
    ChangeTaskRunState,
    ConcurrencyAction,
    ConcurrencyDecision,
    ConcurrencyRequest,
    ConcurrencyVerdict,
    KillExecution,
    RestartExecution,
    ResumeExecution,
    Unqueue,
)
from kestra_stream.executor.state import ConcurrencySlot, Timer, TimerKind
from kestra_stream.models.execution import ExecutionMetadata
from kestra_stream.models.labels import Label
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.plugins.flow import LoopUntil, Pause

PURGE = "purge"


def terminate_without_tasks(working: Working, state: StateType, message: str | None = None) -> None:
    """End an execution that never ran (flow missing/disabled, concurrency CANCEL/FAIL, killed queued)."""
    if message is not None:
        working.log(LogLevel.ERROR if state is StateType.FAILED else LogLevel.WARN, message)
    working.set_execution_state(state)
    announce_end(working)
    working.set_extra(AFTER_EXECUTION_DONE, True)
    working.cancel_timers()
    working.add_timer(TimerKind.PURGE, working.now + working.settings.purge_after)


def _ensure_correlation_id(working: Working) -> None:
    labels = working.labels or ()
    if not any(label.key == "system.correlationId" for label in labels):
        working.labels = (*labels, Label(key="system.correlationId", value=working.execution_id))
        working.changed = True


def start_execution(working: Working) -> None:
    """NewExecution: FAILED without its flow; else wait for its scheduleDate, a concurrency slot, or run."""
    working.changed = True
    if working.index is None:
        terminate_without_tasks(
            working,
            StateType.FAILED,
            f"Unable to find flow '{working.base.namespace}'.'{working.base.flow_id}' "
            f"with revision {working.flow_revision}",
        )
        return
    flow = working.index.flow
    _ensure_correlation_id(working)
    if working.current.is_terminated():
        terminate_without_tasks(working, working.current)
        return
    if flow.disabled or flow.deleted:
        terminate_without_tasks(working, StateType.FAILED, "Cannot execute a flow which is disabled")
        return
    if apply_checks(working):
        terminate_without_tasks(working, StateType.FAILED)
        return
    warn_unsupported_properties(working, flow)
    schedule = working.base.schedule_date
    if schedule is not None and schedule > working.now:
        working.add_timer(TimerKind.SCHEDULED_START, schedule)
        return
    request_slot_or_run(working)


def request_slot_or_run(working: Working) -> None:
    assert working.index is not None
    concurrency = working.index.flow.concurrency
    if concurrency is None or working.concurrency is ConcurrencySlot.HELD:
        begin_running(working)
        return
    working.emit(
        EmitConcurrencyRequest(
            request=ConcurrencyRequest(
                flow_key=flow_key(working),
                execution_id=working.execution_id,
                action=ConcurrencyAction.ACQUIRE,
                limit=concurrency.limit,
                behavior=concurrency.behavior.value,
                date=working.now,
            )
        )
    )
    working.set_concurrency(ConcurrencySlot.REQUESTED)


def begin_running(working: Working) -> None:
    """CREATED/QUEUED/RESTARTED → RUNNING: the first task runs are created by the next resolution."""
    working.set_execution_state(StateType.RUNNING)
    schedule_sla_timers(working)


def fire_scheduled_start(working: Working) -> None:
    if working.current is StateType.CREATED:
        request_slot_or_run(working)


def apply_concurrency_decision(working: Working, decision: ConcurrencyDecision) -> bool:
    """The flow's slot counter answered: RUN, QUEUE (QUEUED until a slot frees), CANCEL or FAIL."""
    if working.concurrency is not ConcurrencySlot.REQUESTED or working.current not in (
        StateType.CREATED,
        StateType.QUEUED,
    ):
        return False
    verdict = decision.verdict
    if verdict is ConcurrencyVerdict.RUN:
        working.set_concurrency(ConcurrencySlot.HELD)
        begin_running(working)
    elif verdict is ConcurrencyVerdict.QUEUE:
        working.set_execution_state(StateType.QUEUED)
    else:
        working.set_concurrency(ConcurrencySlot.NONE)
        state = StateType.CANCELLED if verdict is ConcurrencyVerdict.CANCEL else StateType.FAILED
        terminate_without_tasks(working, state, f"Flow concurrency limit reached: execution {state.value}")
    return True


def unqueue(working: Working, message: Unqueue) -> bool:
    """Out of the queue: RUNNING without a slot (force run), or straight to a terminal state."""
    if working.current not in (StateType.QUEUED, StateType.CREATED):
        return False
    release_concurrency_slot(working)
    working.set_concurrency(ConcurrencySlot.NONE)
    if message.state is StateType.RUNNING:
        begin_running(working)
    else:
        terminate_without_tasks(working, message.state, f"Execution unqueued as {message.state.value}")
    return True


def kill_execution(working: Working, message: KillExecution) -> bool:
    """KILLING, then KILLED once every running task run reported back (or at once if nothing runs)."""
    if working.current.is_terminated() or working.current is StateType.KILLING:
        working.log(LogLevel.DEBUG, f"Ignored a kill of an execution in state {working.current.value}")
        return False
    if working.current in (StateType.CREATED, StateType.QUEUED):
        terminate_without_tasks(working, StateType.KILLED, "Execution killed before it started")
        return True
    working.cancel_timers(kind=TimerKind.FLOW_RETRY)
    if working.current is StateType.RETRYING:
        working.set_execution_state(StateType.RUNNING)
    working.set_extra(MANUAL_PAUSE, None)
    begin_halt(working, StateType.KILLED, kill=True, cascade=message.cascade)
    return True


def pause_execution(working: Working) -> bool:
    if working.current is not StateType.RUNNING:
        return False
    working.set_extra(MANUAL_PAUSE, True)
    working.set_execution_state(StateType.PAUSED)
    return True


def resume_execution(working: Working, message: ResumeExecution) -> bool:
    """PAUSED → RUNNING: paused Pause task runs end SUCCESS with their validated ``onResume`` inputs."""
    if working.current is not StateType.PAUSED:
        working.log(LogLevel.WARN, f"Ignored a resume of an execution in state {working.current.value}")
        return False
    resumed = False
    if working.extra.get(MANUAL_PAUSE):
        working.set_extra(MANUAL_PAUSE, None)
        resumed = True
    for run in list(working.runs.values()):
        if run.state.current is not StateType.PAUSED:
            continue
        if message.task_run_id is not None and run.id != message.task_run_id:
            continue
        task = working.task_of(run)
        if isinstance(task, Pause):
            resumed = resume_pause(working, run, task, message.inputs, message.by) or resumed
        else:
            working.set_run_state(run, StateType.RUNNING)
            resumed = True
    return resumed


def restart_execution(working: Working, message: RestartExecution, flow_for: Any) -> bool:
    """FAILED/KILLED/CANCELLED/PAUSED → RESTARTED → RUNNING: failed task runs get a new attempt."""
    if working.current not in (StateType.FAILED, StateType.KILLED, StateType.CANCELLED, StateType.PAUSED):
        working.log(LogLevel.WARN, f"Ignored a restart of an execution in state {working.current.value}")
        return False
    if message.revision is not None and message.revision != working.flow_revision:
        from kestra_stream.executor.core._flow_index import flow_index

        flow = flow_for(working.base.namespace, working.base.flow_id, message.revision)
        if flow is None:
            working.log(LogLevel.ERROR, f"Restart refused: revision {message.revision} not found")
            return False
        working.flow_revision = message.revision
        working.index = flow_index(flow)
    metadata = working.metadata or ExecutionMetadata()
    working.metadata = metadata.model_copy(update={"attempt_number": metadata.attempt_number + 1})
    labels = [label for label in working.labels or () if label.key != "system.restarted"]
    working.labels = (*labels, Label(key="system.restarted", value="true"))
    working.cancel_timers()
    reopen_runs(working, failed_runs(working))
    mark_subflow_restarts(working)
    working.set_extra(MANUAL_PAUSE, None)
    working.set_execution_state(StateType.RESTARTED)
    working.set_execution_state(StateType.RUNNING)
    if working.concurrency is ConcurrencySlot.RELEASED:
        working.set_concurrency(ConcurrencySlot.NONE)
    return True


def change_task_run_state(working: Working, message: ChangeTaskRunState) -> bool:
    """Manual status change of a task run; ancestors (and a terminated execution) are reopened."""
    run = working.runs.get(message.task_run_id)
    if run is None:
        working.log(LogLevel.WARN, f"Ignored a state change of unknown task run {message.task_run_id}")
        return False
    working.cancel_timers(task_run_id=run.id)
    if run.attempts and not run.attempts[-1].state.current.is_terminated() and message.state.is_terminated():
        run = working.set_attempt_state(run, message.state)
    run = working.set_run_state(run, message.state)
    if working.current.is_terminated():
        reopen_runs(working, [])
        for parent in working.parents_of(run):
            working.set_run_state(parent, StateType.RUNNING)
        working.cancel_timers()
        working.set_execution_state(StateType.RESTARTED)
        working.set_execution_state(StateType.RUNNING)
    else:
        for parent in working.parents_of(run):
            if parent.state.current.is_terminated():
                working.set_run_state(parent, StateType.RUNNING)
    return True


def fire_timer(working: Working, timer: Timer) -> bool:
    """A due timer: retry, attempt timeout, pause, loop interval, delayed start, flow retry, purge."""
    working.cancel_timers_by_id(timer.timer_id)
    run = working.runs.get(timer.task_run_id) if timer.task_run_id is not None else None
    kind = timer.kind
    if kind is TimerKind.PURGE:
        working.set_extra(PURGE, True)
    elif kind is TimerKind.SCHEDULED_START:
        fire_scheduled_start(working)
    elif kind is TimerKind.FLOW_RETRY:
        fire_flow_retry(working)
    elif kind is TimerKind.SLA:
        fire_sla(working, timer)
    elif run is None:
        return False
    elif kind is TimerKind.RETRY:
        fire_retry(working, run)
    elif kind is TimerKind.ATTEMPT_TIMEOUT:
        fire_attempt_timeout(working, run)
    elif kind is TimerKind.PAUSE:
        task = working.task_of(run)
        if isinstance(task, Pause):
            fire_pause_timeout(working, run, task)
    elif kind is TimerKind.LOOP:
        task = working.task_of(run)
        if isinstance(task, LoopUntil):
            fire_loop_timer(working, run)
    return True
