"""Driving an execution forward until nothing more can happen without a new event.

Rules: ``dispatch_task_run`` (runIf/SKIPPED, runnable → worker job, flowable → RUNNING, execution-
updating tasks, Subflow, Pause), ``resolve_flowable`` (next children or derived state),
``resolve_root`` (the execution's ``tasks``/``errors``/``finally``), ``end_execution`` (final
state, flow outputs, flow retry, SubflowEnded, slot release), ``resolve_after_execution``,
``refresh_execution_state``.
"""

from __future__ import annotations

from typing import Any

from kestra_stream.executor.core._attempts import submit_attempt
from kestra_stream.executor.core._containers import Container, Group, Resolution, enabled, resolve_container
from kestra_stream.executor.core._context import build_context
from kestra_stream.executor.core._flowables import (
    HALT,
    LOOP_WAITING,
    apply_execution_updating,
    conclude_loop_iteration,
    container_for,
    fail_run,
    on_pause_pending,
    start_flowable,
    start_pause,
    start_subflow,
)
from kestra_stream.executor.core._foreach_item import start_foreach_items
from kestra_stream.executor.core._foreach_item_jobs import ForEachItemExecutable
from kestra_stream.executor.core._loop import conclude_loop
from kestra_stream.executor.core._rendering import render_condition, render_declared_outputs
from kestra_stream.executor.core._retries import schedule_flow_retry
from kestra_stream.executor.core._types import EmitConcurrencyRequest, EmitExecutionMessage
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import ConcurrencyAction, ConcurrencyRequest, SubflowEnded
from kestra_stream.executor.state import ConcurrencySlot, TimerKind
from kestra_stream.models.execution import TaskRun
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.plugins.base import ExecutionUpdatingTask, FlowableTask, RunnableTask
from kestra_stream.plugins.flow import Loop, LoopUntil, Pause, Subflow, WorkingDirectory

_MAX_PASSES = 10_000
AFTER_EXECUTION_DONE = "afterExecutionDone"
MANUAL_PAUSE = "manualPause"


def is_halted(working: Working) -> bool:
    return HALT in working.extra


def dispatch_task_run(working: Working, run: TaskRun, flow_for: Any) -> None:
    """A CREATED (or RESTARTED) task run starts: skipped, sent to a worker, or run by the executor."""
    task = working.task_of(run)
    if task is None:
        fail_run(working, run, f"Task '{run.task_id}' does not exist in revision {working.flow_revision}")
        return
    if is_halted(working):
        working.set_run_state(run, StateType.KILLED)
        return
    if run.state.current is StateType.CREATED and task.run_if is not None:
        try:
            proceed = render_condition(
                working.settings.engine, task.run_if, build_context(working, task=task, run=run)
            )
        except Exception as error:
            fail_run(working, run, f"Unable to evaluate the runIf condition for task '{task.id}': {error}")
            return
        if not proceed:
            working.set_run_state(run, StateType.SKIPPED)
            return
    if task.task_cache is not None and task.task_cache.enabled and not isinstance(task, RunnableTask):
        working.log(
            LogLevel.WARN,
            f"taskCache is only supported for runnable tasks (as in Kestra): ignored on '{task.id}'",
            run=run,
        )
    if isinstance(task, RunnableTask | WorkingDirectory):
        submit_attempt(working, run, task)
    elif isinstance(task, ExecutionUpdatingTask):
        apply_execution_updating(working, run, task)
    elif isinstance(task, Subflow):
        start_subflow(working, run, task, flow_for)
    elif isinstance(task, Pause):
        start_pause(working, run, task)
    elif isinstance(task, ForEachItemExecutable):
        start_foreach_items(working, run, flow_for)
    elif isinstance(task, FlowableTask):
        start_flowable(working, run, task)
    else:
        fail_run(working, run, f"Task type {task.type} cannot be executed")


def resolve_flowable(working: Working, run: TaskRun) -> bool:
    """A RUNNING flowable: create its next children, or give it its derived final state."""
    task = working.task_of(run)
    if task is None or isinstance(task, RunnableTask | WorkingDirectory | Subflow | ForEachItemExecutable):
        return False
    if run.id in working.extra.get(LOOP_WAITING, {}):
        return False
    container = container_for(working, run, task)
    if container is None:
        return False
    resolution = resolve_container(working, run, container, halted=is_halted(working))
    if _create(working, run, resolution):
        return True
    if resolution.final is None:
        return False
    if isinstance(task, Loop):
        conclude_loop(working, run, task, resolution.final, halted=is_halted(working))
        return True
    if isinstance(task, LoopUntil) and not is_halted(working):
        conclude_loop_iteration(working, run, task, resolution.final)
        return True
    working.set_run_state(run, resolution.final)
    return True


def _create(working: Working, parent: TaskRun | None, resolution: Resolution) -> bool:
    for child in resolution.create:
        working.new_run(child.task, parent=parent, value=child.value, iteration=child.iteration)
    return bool(resolution.create)


def root_container(working: Working) -> Container:
    """The execution as the root Sequential over ``tasks`` with the flow's ``errors`` and ``finally``."""
    assert working.index is not None
    container = working.index.cached.get("root")
    if container is None:
        flow = working.index.flow
        container = working.index.cached["root"] = Container(
            groups=[Group(tasks=enabled(flow.tasks))],
            errors=enabled(flow.errors),
            finally_=enabled(flow.finally_),
        )
    assert isinstance(container, Container)
    return container


def resolve_root(working: Working) -> bool:
    resolution = resolve_container(working, None, root_container(working), halted=is_halted(working))
    if _create(working, None, resolution):
        return True
    if resolution.final is None or on_pause_pending(working):
        return False
    end_execution(working, resolution.final)
    return True


def render_flow_outputs(working: Working, final: StateType) -> dict[str, Any] | None:
    """Flow ``outputs``, typed like inputs; raises ValueError naming the output on any problem."""
    assert working.index is not None
    declared = working.index.flow.outputs
    if not declared:
        return None
    context = build_context(working, execution_state=final)
    return render_declared_outputs(working.settings.engine, declared, context)


def end_execution(working: Working, final: StateType) -> None:
    """The root resolved: apply halts and flow retry, render outputs, tell the parent, release the slot."""
    halt = working.extra.get(HALT)
    if halt is not None:
        final = StateType(halt)
    elif final is StateType.FAILED and schedule_flow_retry(working):
        return
    if final in (StateType.SUCCESS, StateType.WARNING):
        try:
            working.outputs = render_flow_outputs(working, final)
        except ValueError as error:
            working.log(LogLevel.ERROR, str(error))
            final = StateType.FAILED
    working.set_execution_state(final)
    working.set_extra(HALT, None)
    working.set_extra(MANUAL_PAUSE, None)
    working.log(LogLevel.INFO, f"Execution ended in state {final.value}")
    announce_end(working)


def announce_end(working: Working) -> None:
    """SubflowEnded to the parent execution, and the concurrency slot back to the flow's counter."""
    base = working.base
    trigger_variables = (base.trigger.variables or {}) if base.trigger is not None else {}
    parent_run_id = trigger_variables.get("taskRunId")
    iteration = trigger_variables.get("taskRunIteration")
    waits = trigger_variables.get("wait", True)
    if (
        base.parent_id is not None
        and parent_run_id is not None
        and waits
        and working.current is not StateType.RETRIED
    ):
        working.emit(
            EmitExecutionMessage(
                message=SubflowEnded(
                    execution_id=base.parent_id,
                    task_run_id=str(parent_run_id),
                    child_execution_id=base.id,
                    state=working.current,
                    outputs=working.outputs,
                    original_execution_id=base.original_id,
                    iteration=int(iteration) if iteration is not None else None,
                )
            )
        )
    release_concurrency_slot(working)


def release_concurrency_slot(working: Working) -> None:
    if working.concurrency in (ConcurrencySlot.HELD, ConcurrencySlot.REQUESTED):
        working.emit(
            EmitConcurrencyRequest(
                request=ConcurrencyRequest(
                    flow_key=flow_key(working),
                    execution_id=working.execution_id,
                    action=ConcurrencyAction.RELEASE,
                    date=working.now,
                )
            )
        )
        working.set_concurrency(ConcurrencySlot.RELEASED)


def flow_key(working: Working) -> str:
    base = working.base
    return "/".join((base.tenant_id or "main", base.namespace, base.flow_id))


def resolve_after_execution(working: Working) -> bool:
    """After the final state: run ``afterExecution`` (never for KILLED), then schedule the purge."""
    if working.extra.get(AFTER_EXECUTION_DONE):
        return False
    assert working.index is not None
    tasks = enabled(working.index.flow.after_execution)
    if tasks and working.current is not StateType.KILLED:
        container = Container(groups=[Group(tasks=tasks)])
        resolution = resolve_container(working, None, container, halted=False)
        if _create(working, None, resolution):
            return True
        if resolution.final is None:
            return False
    working.set_extra(AFTER_EXECUTION_DONE, True)
    working.cancel_timers()
    working.add_timer(TimerKind.PURGE, working.now + working.settings.purge_after)
    return True


def refresh_execution_state(working: Working) -> None:
    """RUNNING ⇄ PAUSED while the execution is in progress (a paused task run, or a manual pause)."""
    if working.current not in (StateType.RUNNING, StateType.PAUSED, StateType.RESTARTED):
        return
    paused = working.extra.get(MANUAL_PAUSE) or any(
        run.state.current is StateType.PAUSED for run in working.active_runs()
    )
    working.set_execution_state(StateType.PAUSED if paused else StateType.RUNNING)


def advance(working: Working, flow_for: Any) -> None:
    """Apply every consequence of the event: dispatch, resolve flowables and the root, end, afterExecution."""
    if working.index is None:
        return
    for _ in range(_MAX_PASSES):
        state = working.current
        if state in (StateType.CREATED, StateType.QUEUED, StateType.RETRYING):
            return
        progressed = False
        manually_paused = bool(working.extra.get(MANUAL_PAUSE))
        if not manually_paused:
            for run in list(working.runs.values()):
                if run.state.current in (StateType.CREATED, StateType.RESTARTED):
                    dispatch_task_run(working, working.runs[run.id], flow_for)
                    progressed = True
        for run in reversed(list(working.runs.values())):
            if run.state.current is StateType.RUNNING and not run.attempts and not manually_paused:
                progressed = resolve_flowable(working, run) or progressed
        if state.is_terminated():
            progressed = resolve_after_execution(working) or progressed
        elif not manually_paused:
            progressed = resolve_root(working) or progressed
        if not progressed:
            refresh_execution_state(working)
            return
    raise RuntimeError("the execution does not settle (too many resolution passes)")
