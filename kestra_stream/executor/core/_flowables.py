"""Flowable tasks: how each one starts (rendering its condition/values once) and which children it has.

Rules: ``start_flowable`` (If, Switch, ForEach, LoopUntil, groups, Dag), ``container_for``,
``start_pause``/``resume_pause``/``fire_pause_timeout``, ``start_subflow``/``apply_subflow_ended``,
``apply_execution_updating`` (SetVariables, UnsetVariables, Exit), ``conclude_loop_iteration``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kestra_stream.executor.core._attempts import conclude_attempt, final_task_run_state
from kestra_stream.executor.core._containers import Container, Group, GroupMode, enabled
from kestra_stream.executor.core._context import build_context, flow_variables
from kestra_stream.executor.core._ids import derived_id
from kestra_stream.executor.core._loop import loop_container, start_loop
from kestra_stream.executor.core._rendering import (
    loop_values,
    render_condition,
    render_duration,
    render_text,
    render_typed,
)
from kestra_stream.executor.core._types import EmitExecutionMessage
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import NewExecution, RestartExecution, SubflowEnded
from kestra_stream.executor.state import TimerKind
from kestra_stream.flows.model import Flow
from kestra_stream.inputs import InputValidationError, resolve_inputs
from kestra_stream.models.dates import format_instant
from kestra_stream.models.execution import Execution, ExecutionMetadata, ExecutionTrigger, TaskRun
from kestra_stream.models.labels import Label
from kestra_stream.models.state import State, StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.plugins.base import Task
from kestra_stream.plugins.flow import (
    AllowFailure,
    Dag,
    EachParallel,
    EachSequential,
    Exit,
    ExitState,
    ForEach,
    ForEachItem,
    If,
    Kill,
    Loop,
    LoopUntil,
    Parallel,
    Pause,
    PauseBehavior,
    RestartBehavior,
    Sequential,
    SetVariables,
    Subflow,
    Switch,
    UnsetVariables,
)
from kestra_stream.plugins.flow._branches import WithHandlers

FOREACH_VALUES = "foreachValues"
SUBFLOW_RESTARTS = "subflowRestarts"
"""extra: Subflow task run id -> the failed child execution an execution restart restarts."""
LOOP_WAITING = "loopWaiting"
HALT = "halt"


def fail_run(working: Working, run: TaskRun, message: str) -> TaskRun:
    """The executor fails a task run (render error...): ``allowFailure``/``allowWarning`` still apply."""
    working.log(LogLevel.ERROR, message, run=run)
    return working.set_run_state(run, final_task_run_state(working.task_of(run), run, StateType.FAILED))


# -- containers ---------------------------------------------------------------------------------


def container_for(working: Working, run: TaskRun, task: Task) -> Container | None:
    """The children layout of a RUNNING flowable task run; None for flowables with their own logic."""
    errors = enabled(task.errors) if isinstance(task, WithHandlers) else []
    finally_ = enabled(task.finally_) if isinstance(task, WithHandlers) else []
    common: dict[str, Any] = {
        "errors": errors,
        "finally_": finally_,
        "allow_failure": task.allow_failure,
        "allow_warning": task.allow_warning,
    }
    outputs = run.outputs or {}
    if isinstance(task, AllowFailure):
        common["allow_failure"] = True
        return Container(groups=[Group(tasks=enabled(task.tasks))], **common)
    if isinstance(task, Sequential):
        return Container(groups=[Group(tasks=enabled(task.tasks))], **common)
    if isinstance(task, Parallel):
        group = Group(tasks=enabled(task.tasks), mode=GroupMode.PARALLEL, limit=task.concurrent)
        return Container(groups=[group], **common)
    if isinstance(task, If):
        branch = task.then if outputs.get("evaluationResult") else task.else_
        return Container(groups=[Group(tasks=enabled(branch))], **common)
    if isinstance(task, Switch):
        cases = task.cases or {}
        matched = cases.get(str(outputs.get("value"))) if not outputs.get("defaults") else None
        return Container(
            groups=[Group(tasks=enabled(matched if matched is not None else task.defaults))], **common
        )
    if isinstance(task, ForEach | EachSequential | EachParallel):
        values: list[str] = working.extra.get(FOREACH_VALUES, {}).get(run.id, [])
        tasks = enabled(task.tasks)
        groups = [Group(tasks=tasks, value=value, iteration=index) for index, value in enumerate(values)]
        if isinstance(task, ForEach):
            limit = task.concurrency_limit
        elif isinstance(task, EachSequential):
            limit = 1
        else:
            limit = task.concurrent
        return Container(groups=groups, group_limit=limit, **common)
    if isinstance(task, Loop):
        return loop_container(working, run, task, common)
    if isinstance(task, LoopUntil):
        iteration = int(outputs.get("iterationCount", 1)) - 1
        return Container(groups=[Group(tasks=enabled(task.tasks), iteration=iteration)], **common)
    if isinstance(task, Dag):
        nodes = [node for node in task.tasks if not node.task.disabled]
        group = Group(
            tasks=[node.task for node in nodes],
            mode=GroupMode.DAG,
            limit=task.concurrent,
            depends_on={node.task.id: list(node.depends_on or ()) for node in nodes},
        )
        return Container(groups=[group], **common)
    if isinstance(task, Pause):
        return Container(groups=[Group(tasks=enabled(task.tasks))], **common)
    if isinstance(task, ForEachItem) and working.index is not None:
        return Container(groups=[Group(tasks=working.index.foreach_item_parts.get(task.id, []))], **common)
    return None


# -- starting flowables -------------------------------------------------------------------------


def start_flowable(working: Working, run: TaskRun, task: Task) -> TaskRun:
    """CREATED → RUNNING, evaluating once what the flowable decides on (condition, value, values)."""
    engine = working.settings.engine
    try:
        if isinstance(task, If):
            result = render_condition(engine, task.condition, build_context(working, task=task, run=run))
            run = working.set_run_outputs(run, {"evaluationResult": result})
        elif isinstance(task, Switch):
            value = render_text(engine, task.value, build_context(working, task=task, run=run))
            matched = value in (task.cases or {})
            if not matched and task.defaults is None:
                return fail_run(
                    working,
                    run,
                    f"No task found on flow '{working.base.namespace}.{working.base.flow_id}' "
                    f"for switch value '{value}'",
                )
            run = working.set_run_outputs(run, {"value": value, "defaults": not matched})
        elif isinstance(task, ForEach | EachSequential | EachParallel):
            raw = task.values if isinstance(task, ForEach) else task.value
            values = loop_values(engine, raw, build_context(working, task=task, run=run))
            stored = dict(working.extra.get(FOREACH_VALUES, {}))
            stored[run.id] = values
            working.set_extra(FOREACH_VALUES, stored)
        elif isinstance(task, Loop):
            run = start_loop(working, run, task)
        elif isinstance(task, LoopUntil):
            run = working.set_run_outputs(run, {"iterationCount": 1})
    except Exception as error:
        return fail_run(working, run, f"Unable to start task '{task.id}': {error}")
    return working.set_run_state(run, StateType.RUNNING)


def conclude_loop_iteration(
    working: Working, run: TaskRun, task: LoopUntil, state: StateType
) -> TaskRun | None:
    """A LoopUntil iteration ended in ``state``: stop (final state) or wait ``interval`` for the next one."""
    if state not in (StateType.SUCCESS, StateType.WARNING):
        return working.set_run_state(run, state)
    count = int((run.outputs or {}).get("iterationCount", 1))
    try:
        done = render_condition(
            working.settings.engine, task.condition, build_context(working, task=task, run=run)
        )
    except Exception as error:
        return fail_run(working, run, f"Unable to evaluate the LoopUntil condition: {error}")
    if done:
        return working.set_run_state(run, state)
    frequency = task.check_frequency
    max_reached = frequency.max_iterations is not None and count >= frequency.max_iterations
    if frequency.max_duration is not None and working.now - run.state.start_date >= frequency.max_duration:
        max_reached = True
    if max_reached:
        if task.fail_on_max_reached:
            return fail_run(working, run, f"LoopUntil '{task.id}' reached its maximum without its condition")
        return working.set_run_state(run, state)
    waiting = dict(working.extra.get(LOOP_WAITING, {}))
    waiting[run.id] = True
    working.set_extra(LOOP_WAITING, waiting)
    working.add_timer(TimerKind.LOOP, working.now + frequency.interval, task_run_id=run.id, tag=count)
    return None


def fire_loop_timer(working: Working, run: TaskRun) -> None:
    waiting = dict(working.extra.get(LOOP_WAITING, {}))
    if not waiting.pop(run.id, None):
        return
    working.set_extra(LOOP_WAITING, waiting or None)
    count = int((run.outputs or {}).get("iterationCount", 1))
    working.set_run_outputs(run, {**(run.outputs or {}), "iterationCount": count + 1})


# -- Pause -------------------------------------------------------------------------------------------


def start_pause(working: Working, run: TaskRun, task: Pause) -> TaskRun:
    run = working.set_run_state(run, StateType.RUNNING)
    if task.pause_duration is not None:
        try:
            delay = render_duration(
                working.settings.engine, task.pause_duration, build_context(working, task=task, run=run)
            )
        except Exception as error:
            return fail_run(working, run, f"Invalid pauseDuration: {error}")
        working.add_timer(TimerKind.PAUSE, working.now + delay, task_run_id=run.id)
    run = working.set_run_state(run, StateType.PAUSED)
    if task.on_pause is not None and not task.on_pause.disabled:
        # Kestra runs it while the execution is paused; the Pause does not wait for it, the
        # execution's end does (``on_pause_pending``), and its state is not the execution's.
        working.new_run(task.on_pause, parent=run, value=run.value, iteration=run.iteration)
    return run


def on_pause_pending(working: Working) -> bool:
    """Whether an ``onPause`` task run is still in progress (the execution cannot end before it)."""
    for run in working.active_runs():
        parent = working.runs.get(run.parent_task_run_id) if run.parent_task_run_id else None
        task = working.task_of(parent) if parent is not None else None
        if isinstance(task, Pause) and task.on_pause is not None and task.on_pause.id == run.task_id:
            return True
    return False


def resume_pause(
    working: Working, run: TaskRun, task: Pause, inputs: dict[str, Any] | None, by: str | None
) -> bool:
    """Manual resume: validate ``onResume`` inputs; the task run ends SUCCESS (behavior ignored)."""
    resumed_inputs: dict[str, Any] = {}
    if task.on_resume:
        try:
            resumed_inputs = resolve_inputs(
                task.on_resume,
                inputs or {},
                render=lambda value, context: working.settings.engine.render_typed(value, context),
                variables=build_context(working, task=task, run=run),
            )
        except InputValidationError as error:
            working.log(LogLevel.ERROR, f"Resume refused: {error}", run=run)
            return False
    working.cancel_timers(task_run_id=run.id, kind=TimerKind.PAUSE)
    resumed: dict[str, Any] = {"on": format_instant(working.now)}
    if by is not None:
        resumed["by"] = by
    outputs: dict[str, Any] = {"resumed": resumed}
    if task.on_resume:
        outputs["onResume"] = resumed_inputs
    run = working.set_run_outputs(run, outputs)
    working.set_run_state(run, StateType.RUNNING if enabled(task.tasks) else StateType.SUCCESS)
    return True


def fire_pause_timeout(working: Working, run: TaskRun, task: Pause) -> None:
    """``pauseDuration`` elapsed: RESUME ⇒ SUCCESS, WARN ⇒ WARNING, FAIL ⇒ FAILED, CANCEL ⇒ cancel all."""
    if run.state.current is not StateType.PAUSED:
        return
    if task.behavior is PauseBehavior.CANCEL:
        working.set_run_state(run, StateType.CANCELLED)
        begin_halt(working, StateType.CANCELLED, kill=True, cascade=True)
        return
    if task.behavior is PauseBehavior.RESUME and enabled(task.tasks):
        run = _resumed_by_timer(working, run, StateType.RUNNING)
        working.set_run_state(run, StateType.RUNNING)
        return
    final = {
        PauseBehavior.RESUME: StateType.SUCCESS,
        PauseBehavior.WARN: StateType.WARNING,
        PauseBehavior.FAIL: StateType.FAILED,
    }[task.behavior]
    working.set_run_state(_resumed_by_timer(working, run, final), final)


def _resumed_by_timer(working: Working, run: TaskRun, to: StateType) -> TaskRun:
    """Kestra's ``resumed`` output after ``pauseDuration``: ``on`` is a local date-time, ``to`` the state."""
    on = working.now.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    return working.set_run_outputs(run, {**(run.outputs or {}), "resumed": {"on": on, "to": to.value}})


# -- halting (kill, Exit, cancel) -------------------------------------------------------------------


def begin_halt(working: Working, final: StateType, *, kill: bool, cascade: bool) -> None:
    """Stop starting anything; with ``kill``, stop what runs (workers, paused runs, subflow children)."""
    from kestra_stream.executor.core._foreach_item import pending_children
    from kestra_stream.executor.core._foreach_item_jobs import ForEachItemExecutable
    from kestra_stream.executor.core._types import EmitKill
    from kestra_stream.executor.messages import ExecutionKilled, KillExecution

    working.set_extra(HALT, final.value)
    if not kill:
        return
    working.set_execution_state(StateType.KILLING)
    working.set_extra(LOOP_WAITING, None)
    for run in list(working.active_runs()):
        task = working.task_of(run)
        state = run.state.current
        if isinstance(task, Subflow | ForEachItemExecutable) and state is StateType.RUNNING:
            child_ids = pending_children(working, run)
            if cascade and child_ids:
                for child_id in child_ids:
                    working.emit(
                        EmitExecutionMessage(message=KillExecution(execution_id=child_id, cascade=True))
                    )
                working.set_run_state(run, StateType.KILLING)
            else:
                working.set_run_state(run, StateType.KILLED)
            continue
        if state is StateType.RUNNING and not (run.attempts or ()):
            continue  # flowable: its state follows its children
        if state is StateType.RUNNING:
            working.set_run_state(run, StateType.KILLING)
            continue
        if state is not StateType.KILLING:
            working.cancel_timers(task_run_id=run.id)
            if run.attempts and not run.attempts[-1].state.current.is_terminated():
                run = working.set_attempt_state(run, StateType.KILLED)
            working.set_run_state(run, StateType.KILLED)
    working.emit(EmitKill(kill=ExecutionKilled(execution_id=working.execution_id)))


# -- execution-updating tasks --------------------------------------------------------------------


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _flat_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            keys.extend(_flat_keys(value, f"{path}."))
        else:
            keys.append(path)
    return keys


def _has_path(data: dict[str, Any], path: str) -> bool:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _without_path(data: dict[str, Any], path: str) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    if head not in data:
        return data
    copy = dict(data)
    if rest and isinstance(copy[head], dict):
        copy[head] = _without_path(copy[head], rest)
    elif not rest:
        del copy[head]
    return copy


def apply_execution_updating(working: Working, run: TaskRun, task: Task) -> TaskRun:
    """SetVariables / UnsetVariables / Exit / Kill, applied by the executor (no worker)."""
    run = working.set_run_state(run, StateType.RUNNING)
    flow = working.index.flow if working.index is not None else None
    try:
        if isinstance(task, SetVariables):
            rendered = render_typed(
                working.settings.engine, task.variables, build_context(working, task=task, run=run)
            )
            current = flow_variables(flow, working.variables)
            if not task.overwrite:
                existing = [key for key in _flat_keys(rendered) if _has_path(current, key)]
                if existing:
                    return fail_run(
                        working,
                        run,
                        "`overwrite` is set to false and the following variables already exist: "
                        + ", ".join(existing),
                    )
            working.variables = _deep_merge(current, rendered)
        elif isinstance(task, UnsetVariables):
            current = flow_variables(flow, working.variables)
            for key in task.variables:
                if not _has_path(current, key):
                    if not task.ignore_missing:
                        return fail_run(working, run, f"Unable to unset variable '{key}': it does not exist")
                    continue
                current = _without_path(current, key)
            working.variables = current
        elif isinstance(task, Exit):
            final = StateType.CANCELLED if task.state is ExitState.CANCELED else StateType(task.state.value)
            run = working.set_run_state(run, final if final is not StateType.KILLED else StateType.KILLED)
            begin_halt(working, final, kill=final is StateType.KILLED, cascade=True)
            return run
        elif isinstance(task, Kill):
            context = build_context(working, task=task, run=run)
            cascade = task.propagate_kill
            if isinstance(cascade, str):
                cascade = render_condition(working.settings.engine, cascade, context)
            run = working.set_run_state(run, StateType.KILLED)
            begin_halt(working, StateType.KILLED, kill=True, cascade=cascade)
            return run
        else:
            return fail_run(working, run, f"Unsupported execution-updating task type {task.type}")
    except Exception as error:
        return fail_run(working, run, f"Task '{task.id}' failed: {error}")
    working.changed = True
    return working.set_run_state(run, StateType.SUCCESS)


# -- Subflow ------------------------------------------------------------------------------------------


def child_labels(
    working: Working, inherit: bool, task_labels: Any, child_flow: Flow, context: dict[str, Any]
) -> dict[str, str]:
    """Labels of a child execution: the parent's ``system.*`` (all with ``inheritLabels``), the
    correlation id, the child flow's, then the task's rendered ``labels``. ValueError on render errors."""
    labels: dict[str, str] = {}
    for label in working.labels or ():
        if inherit or label.key.startswith("system."):
            labels.setdefault(label.key, label.value)
    labels.setdefault("system.correlationId", working.execution_id)
    for label in child_flow.labels or ():
        labels.setdefault(label.key, label.value)
    for label in task_labels or ():
        try:
            labels[label.key] = str(render_text(working.settings.engine, label.value, context))
        except Exception as error:
            raise ValueError(f"Unable to render label '{label.key}': {error}") from None
    return labels


def mark_subflow_restarts(working: Working) -> None:
    """An execution restart: which reopened Subflow runs restart their failed child execution
    (``restartBehavior: RETRY_FAILED``, the default) instead of creating a new one.

    The child is restarted in place while its executor still holds it (``purge_after``); an older
    child gets a new execution, with a WARN (its state is only in the repository then)."""
    from kestra_stream.executor.core._foreach_item import mark_foreach_item_restart
    from kestra_stream.executor.core._foreach_item_jobs import ForEachItemExecutable

    marks: dict[str, str] = {}
    for run in working.runs.values():
        task = working.task_of(run)
        if run.state.current is StateType.RESTARTED and isinstance(task, ForEachItemExecutable):
            mark_foreach_item_restart(working, run)
            continue
        if run.state.current is not StateType.RESTARTED or not isinstance(task, Subflow):
            continue
        outputs = run.outputs or {}
        child_id = outputs.get("executionId")
        if task.restart_behavior is not RestartBehavior.RETRY_FAILED or not task.wait or not child_id:
            continue
        if outputs.get("state") not in (StateType.FAILED.value, StateType.KILLED.value):
            continue
        ended = run.attempts[-1].state.end_date if run.attempts else None
        if ended is not None and working.now - ended < working.settings.purge_after * 0.9:
            marks[run.id] = str(child_id)
        else:
            working.log(
                LogLevel.WARN,
                f"Subflow execution {child_id} ended too long ago to be restarted: "
                "a new execution is created",
                run=run,
            )
    working.set_extra(SUBFLOW_RESTARTS, marks or None)


def _restart_subflow(working: Working, run: TaskRun, child_id: str) -> TaskRun:
    remaining = {
        key: value for key, value in working.extra.get(SUBFLOW_RESTARTS, {}).items() if key != run.id
    }
    working.set_extra(SUBFLOW_RESTARTS, remaining or None)
    run = working.add_attempt(run, StateType.RUNNING)
    working.emit(EmitExecutionMessage(message=RestartExecution(execution_id=child_id)))
    working.log(LogLevel.INFO, f"Restarted subflow execution [[{child_id}]]", run=run)
    run = working.set_run_outputs(run, {"executionId": child_id})
    return working.set_run_state(run, StateType.RUNNING)


def start_subflow(working: Working, run: TaskRun, task: Subflow, flow_for: Any) -> TaskRun:
    """Create the child execution (a new one per attempt) and wait for it unless ``wait: false``;
    on an execution restart, restart the failed child instead (``mark_subflow_restarts``)."""
    restart_child = (working.extra.get(SUBFLOW_RESTARTS) or {}).get(run.id)
    if restart_child is not None and run.state.current is StateType.RESTARTED:
        return _restart_subflow(working, run, restart_child)
    engine = working.settings.engine
    context = build_context(working, task=task, run=run)
    try:
        namespace = render_text(engine, task.namespace, context)
        flow_id = render_text(engine, task.flow_id, context)
    except Exception as error:
        return fail_run(working, run, f"Unable to render the subflow namespace or id: {error}")
    child_flow: Flow | None = flow_for(namespace, flow_id, task.revision)
    if child_flow is None or child_flow.deleted:
        revision = task.revision if task.revision is not None else "latest"
        return fail_run(
            working, run, f"Unable to find flow '{namespace}'.'{flow_id}' with revision {revision}"
        )
    if child_flow.disabled:
        return fail_run(working, run, "Cannot execute a flow which is disabled")
    try:
        provided = render_typed(engine, task.inputs or {}, context)
        inputs = resolve_inputs(
            child_flow.inputs or [],
            provided,
            render=lambda value, variables: engine.render_typed(value, variables),
            variables={"flow": {"id": child_flow.id, "namespace": child_flow.namespace}},
        )
    except Exception as error:
        return fail_run(working, run, f"Invalid subflow inputs: {error}")
    try:
        labels = child_labels(working, task.inherit_labels, task.labels, child_flow, context)
    except ValueError as error:
        return fail_run(working, run, str(error))
    from kestra_stream.executor.core._foreach_item import parse_schedule_date

    try:
        schedule_date = parse_schedule_date(engine, task.schedule_date, context)
    except Exception as error:
        return fail_run(working, run, f"Invalid scheduleDate: {error}")
    run = working.add_attempt(run, StateType.RUNNING)
    attempt = len(run.attempts or ())
    child_id = derived_id(run.id, "subflow", attempt)
    child = Execution(
        id=child_id,
        tenant_id=working.base.tenant_id,
        namespace=child_flow.namespace,
        flow_id=child_flow.id,
        flow_revision=child_flow.revision or 1,
        inputs=inputs or None,
        labels=tuple(Label(key=key, value=value) for key, value in labels.items()),
        state=State.of(StateType.CREATED, at=working.now),
        parent_id=working.execution_id,
        original_id=child_id,
        schedule_date=schedule_date,
        trigger=ExecutionTrigger(
            id=task.id,
            type=task.type,
            variables={
                "executionId": working.execution_id,
                "namespace": working.base.namespace,
                "flowId": working.base.flow_id,
                "flowRevision": working.flow_revision,
                "taskRunId": run.id,
                "wait": task.wait,
            },
        ),
        metadata=ExecutionMetadata(attempt_number=1, original_created_date=working.now),
        kind=working.base.kind,
    )
    working.emit(EmitExecutionMessage(message=NewExecution(execution=child)))
    working.log(LogLevel.INFO, f"Created new execution [[{child_id}]]", run=run)
    run = working.set_run_outputs(run, {"executionId": child_id, "state": StateType.CREATED.value})
    if not task.wait:
        run = working.set_attempt_state(run, StateType.SUCCESS)
        return working.set_run_state(run, StateType.SUCCESS)
    return working.set_run_state(run, StateType.RUNNING)


def apply_subflow_ended(working: Working, message: SubflowEnded) -> bool:
    from kestra_stream.executor.core._foreach_item import apply_foreach_item_ended
    from kestra_stream.executor.core._foreach_item_jobs import ForEachItemExecutable

    run = working.runs.get(message.task_run_id)
    if run is not None and isinstance(working.task_of(run), ForEachItemExecutable):
        if run.state.current not in (StateType.RUNNING, StateType.KILLING):
            return False
        return apply_foreach_item_ended(working, run, message)
    child_id = (run.outputs or {}).get("executionId") if run is not None else None
    if run is None or child_id not in (message.child_execution_id, message.original_execution_id):
        working.log(
            LogLevel.DEBUG, f"Ignored the end of unknown subflow execution {message.child_execution_id}"
        )
        return False
    if run.state.current not in (StateType.RUNNING, StateType.KILLING):
        return False
    task = working.task_of(run)
    # As Kestra 1.3.31: `outputs` only when the child produced some (tests/compat 15, 57).
    run = working.set_run_outputs(
        run,
        {"executionId": message.child_execution_id, "state": message.state.value}
        | ({"outputs": message.outputs} if message.outputs else {}),
    )
    state = message.state
    if (isinstance(task, Subflow) and not task.transmit_failed) or state is StateType.RETRIED:
        state = StateType.SUCCESS
    conclude_attempt(working, run, state)
    return True
