"""Putting failed work back in motion (restart, flow-level retry, manual state change)."""

from __future__ import annotations

from kestra_stream.executor.core._flowables import FOREACH_VALUES, HALT, LOOP_WAITING
from kestra_stream.executor.core._working import Working
from kestra_stream.models.execution import TaskRun
from kestra_stream.models.state import StateType
from kestra_stream.plugins.base import RunnableTask
from kestra_stream.plugins.flow import Subflow, WorkingDirectory
from kestra_stream.plugins.flow._branches import WithHandlers

REOPENABLE = frozenset({StateType.FAILED, StateType.KILLED, StateType.CANCELLED})
AFTER_EXECUTION_DONE = "afterExecutionDone"


def _handler_ids(working: Working, run: TaskRun | None) -> set[str]:
    """Task ids of the ``errors``/``finally`` of a flowable run (of the flow, plus afterExecution)."""
    assert working.index is not None
    if run is None:
        flow = working.index.flow
        return {
            task.id for branch in (flow.errors, flow.finally_, flow.after_execution) for task in branch or ()
        }
    task = working.task_of(run)
    if not isinstance(task, WithHandlers):
        return set()
    return {child.id for branch in (task.errors, task.finally_) for child in branch or ()}


def _with_descendants(working: Working, run_ids: set[str]) -> set[str]:
    result = set(run_ids)
    pending = list(run_ids)
    while pending:
        for child in working.children_of(pending.pop()):
            if child.id not in result:
                result.add(child.id)
                pending.append(child.id)
    return result


def reopen_runs(working: Working, targets: list[TaskRun]) -> None:
    """``targets`` get a new attempt (runnable, subflow) or go back to RUNNING (flowables), their
    ancestors too; the handler runs (errors/finally/afterExecution) of every reopened level are dropped
    so they run again when needed."""
    reopened_parents: set[str | None] = {None}
    for run in targets:
        for parent in working.parents_of(run):
            reopened_parents.add(parent.id)
    for run in targets:
        task = working.task_of(run)
        if task is not None and not isinstance(task, RunnableTask | WorkingDirectory | Subflow):
            reopened_parents.add(run.id)
    doomed: set[str] = set()
    for parent_id in reopened_parents:
        holder = working.runs.get(parent_id) if parent_id is not None else None
        handler_ids = _handler_ids(working, holder)
        doomed.update(child.id for child in working.children_of(parent_id) if child.task_id in handler_ids)
    doomed = _with_descendants(working, doomed)
    working.remove_runs(doomed)
    for run in targets:
        if run.id in doomed or run.id not in working.runs:
            continue
        run = working.runs[run.id]
        task = working.task_of(run)
        if isinstance(task, RunnableTask | WorkingDirectory | Subflow) or not working.children.get(run.id):
            working.set_run_state(run, StateType.RESTARTED)
        else:
            working.set_run_state(run, StateType.RUNNING)
        for parent in working.parents_of(run):
            if parent.state.current.is_terminated():
                working.set_run_state(parent, StateType.RUNNING)
    working.set_extra(HALT, None)
    working.set_extra(LOOP_WAITING, None)
    working.set_extra(AFTER_EXECUTION_DONE, None)
    working.outputs = None
    _ = FOREACH_VALUES


def failed_runs(working: Working) -> list[TaskRun]:
    """Failed/killed runs outside handler branches: what a restart or a flow retry re-runs.

    A child of a WorkingDirectory is re-run through its WorkingDirectory (one job on the worker).
    """
    targets: dict[str, TaskRun] = {}
    for run in working.runs.values():
        if run.state.current not in REOPENABLE:
            continue
        holder = next(
            (
                parent
                for parent in working.parents_of(run)
                if isinstance(working.task_of(parent), WorkingDirectory)
            ),
            run,
        )
        targets.setdefault(holder.id, holder)
    return list(targets.values())
