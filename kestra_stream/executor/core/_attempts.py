"""Attempts of runnable (and subflow) task runs: submission, worker results, retries, timeouts.

Rules: ``submit_attempt``, ``apply_worker_result`` (dedup, RUNNING, terminal), ``conclude_attempt``
(retry or final state with warningOnRetry/allowFailure/allowWarning), ``retry_due``,
``fire_retry``, ``fire_attempt_timeout``, ``resubmit_runs_of_dead_worker``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from kestra_stream.executor.core._context import build_context
from kestra_stream.executor.core._foreach_item_jobs import ForEachItemMergeOutputs
from kestra_stream.executor.core._ids import derived_fraction
from kestra_stream.executor.core._rendering import render_duration, render_text
from kestra_stream.executor.core._types import EmitKill, SubmitWorkerJob
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import ExecutionKilled, WorkerJob, WorkerTaskResult
from kestra_stream.executor.state import TimerKind
from kestra_stream.models.durations import is_expression
from kestra_stream.models.execution import TaskRun
from kestra_stream.models.labels import Label
from kestra_stream.models.retry import ConstantRetry, ExponentialRetry, RandomRetry, Retry, RetryBehavior
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel, WorkerGroupFallback
from kestra_stream.plugins.base import Task
from kestra_stream.plugins.core.execution import LABELS_OUTPUT
from kestra_stream.plugins.core.execution import Labels as LabelsTask
from kestra_stream.plugins.flow import WorkingDirectory

_WORKER_GROUP_KEY = re.compile(r"^[A-Za-z0-9._-]+$")  # a topic name part (topics/catalog.py)
_STARTED_OR_WAITING = frozenset(
    {StateType.SUBMITTED, StateType.RUNNING, StateType.KILLING, StateType.RESUBMITTED, StateType.CREATED}
)


def submit_attempt(working: Working, run: TaskRun, task: Task) -> TaskRun:
    """CREATED/RESTARTED/RETRYING → SUBMITTED with a new attempt, and the worker job for it."""
    if isinstance(task, WorkingDirectory) and working.children.get(run.id):
        drop_children(working, run)
        run = working.runs[run.id]
    try:
        worker_group = render_worker_group(working, task, run)
    except Exception as error:
        working.log(LogLevel.ERROR, f"Unable to render workerGroup.key: {error}", run=run)
        return working.set_run_state(run, final_task_run_state(task, run, StateType.FAILED))
    if worker_group is not None and not _has_live_worker(working, worker_group):
        assert task.worker_group is not None
        fallback = task.worker_group.fallback
        if fallback is WorkerGroupFallback.FAIL:
            working.log(
                LogLevel.ERROR,
                f"No worker is available in the worker group '{worker_group}' (workerGroup.fallback: FAIL)",
                run=run,
            )
            return working.set_run_state(run, final_task_run_state(task, run, StateType.FAILED))
        if fallback is WorkerGroupFallback.CANCEL:
            working.log(
                LogLevel.WARN,
                f"No worker is available in the worker group '{worker_group}' (workerGroup.fallback: "
                "CANCEL): the task run is killed",
                run=run,
            )
            return working.set_run_state(run, StateType.KILLED)
        working.log(
            LogLevel.INFO,
            f"No worker is available in the worker group '{worker_group}' yet: the task run waits for one"
            " (workerGroup.fallback: WAIT)",
            run=run,
        )
    run = working.add_attempt(run)
    run = working.set_run_state(run, StateType.SUBMITTED)
    attempt_number = len(run.attempts or ())
    assert working.index is not None
    definition = working.index.task_definition(task)
    if isinstance(task, ForEachItemMergeOutputs):
        from kestra_stream.executor.core._foreach_item import merge_job_definition

        definition = merge_job_definition(working, run, definition)
    job = WorkerJob(
        task_run=run,
        attempt_number=attempt_number,
        task=definition,
        variables=build_context(working, task=task, run=run),
        worker_group=worker_group,
    )
    working.emit(SubmitWorkerJob(job=job))
    return run


def render_worker_group(working: Working, task: Task, run: TaskRun) -> str | None:
    """``workerGroup.key`` rendered; ``None`` (the default group) when absent, null or blank."""
    if task.worker_group is None or task.worker_group.key is None:
        return None
    key = task.worker_group.key
    if is_expression(key):
        key = render_text(working.settings.engine, key, build_context(working, task=task, run=run))
    key = key.strip()
    if not key or key in ("null", "default"):
        return None
    if not _WORKER_GROUP_KEY.match(key):
        raise ValueError(f"`{key}` is not a worker group key (letters, digits, `.`, `_` and `-` only)")
    return key


def _has_live_worker(working: Working, group: str) -> bool:
    groups = working.settings.worker_groups
    return groups is None or groups.has_live_worker(group)


def apply_worker_result(working: Working, result: WorkerTaskResult) -> bool:
    """Apply a worker's report; False (and a log line) when it is unknown, stale or a duplicate."""
    run = working.runs.get(result.task_run_id)
    if run is None:
        working.log(LogLevel.WARN, f"Ignored a result for unknown task run {result.task_run_id}")
        return False
    attempts = run.attempts or ()
    if result.attempt_number != len(attempts) or not attempts:
        working.log(
            LogLevel.DEBUG,
            f"Ignored a stale result for attempt {result.attempt_number} (current: {len(attempts)})",
            run=run,
        )
        return False
    attempt = attempts[-1]
    if attempt.state.current.is_terminated() or run.state.current not in _STARTED_OR_WAITING:
        working.log(LogLevel.DEBUG, f"Ignored a duplicate {result.state} result", run=run)
        return False
    children_changed = apply_child_task_runs(working, run, result)
    if result.state is StateType.RUNNING:
        if attempt.state.current is StateType.RUNNING:
            return children_changed
        run = working.set_attempt_state(run, StateType.RUNNING, worker_id=result.worker_id)
        if run.state.current is not StateType.KILLING:
            run = working.set_run_state(run, StateType.RUNNING)
        schedule_attempt_timeout(working, run)
        return True
    if not result.state.is_terminated():
        working.log(LogLevel.WARN, f"Ignored a result in non-terminal state {result.state}", run=run)
        return False
    if result.worker_id is not None and attempt.worker_id is None:
        run = working.set_attempt_state(run, attempt.state.current, worker_id=result.worker_id)
    if result.outputs is not None:
        run = working.set_run_outputs(run, result.outputs)
    if result.state is StateType.FAILED and result.error:
        working.note_error(result.error, run=run, attempt=result.attempt_number, thread=result.worker_id)
    conclude_attempt(working, run, result.state)
    return True


def apply_child_task_runs(working: Working, run: TaskRun, result: WorkerTaskResult) -> bool:
    """The child task runs an attempt made on the worker (WorkingDirectory), merged by id.

    Only direct children of ``run`` are taken; the attempt is already checked current and live.
    """
    changed = False
    for child in result.task_runs or ():
        if child.parent_task_run_id != run.id or child.execution_id != working.execution_id:
            working.log(LogLevel.WARN, f"Ignored a child task run {child.id} of another task run", run=run)
            continue
        if working.runs.get(child.id) != child:
            working.put_run(child, outputs_changed=True)
            changed = True
    return changed


def drop_children(working: Working, run: TaskRun) -> None:
    """Before a new attempt of a task run whose children the worker makes: the old children go."""
    doomed: set[str] = set()
    pending = [run.id]
    while pending:
        for child in working.children_of(pending.pop()):
            doomed.add(child.id)
            pending.append(child.id)
    working.remove_runs(doomed)


def conclude_attempt(working: Working, run: TaskRun, attempt_state: StateType) -> TaskRun:
    """The attempt ended in ``attempt_state``: retry it, or give the task run its final state."""
    run = working.set_attempt_state(run, attempt_state)
    working.cancel_timers(task_run_id=run.id, kind=TimerKind.ATTEMPT_TIMEOUT)
    task = working.task_of(run)
    halted = bool(working.extra.get("halt"))
    if run.state.current is StateType.KILLING:
        final: StateType = StateType.KILLED if attempt_state is not StateType.SUCCESS else attempt_state
        return working.set_run_state(run, final)
    if attempt_state is StateType.FAILED and task is not None and task.retry is not None and not halted:
        if task.retry.behavior is RetryBehavior.CREATE_NEW_EXECUTION:
            from kestra_stream.executor.core._retries import retry_task_as_new_execution

            retried = retry_task_as_new_execution(working, run, task.retry)
            if retried is not None:
                return retried
            return working.set_run_state(run, final_task_run_state(task, run, attempt_state))
        due = retry_due(task.retry, run, working.now)
        if due is not None:
            working.add_timer(TimerKind.RETRY, due, task_run_id=run.id, tag=len(run.attempts or ()))
            return working.set_run_state(run, StateType.RETRYING)
    final = final_task_run_state(task, run, attempt_state)
    if final in (StateType.SUCCESS, StateType.WARNING) and isinstance(task, LabelsTask):
        apply_labels_output(working, run)
        # Merged into the execution's labels; Kestra 1.3.31's Labels task run has no outputs.
        return working.set_run_state(run, final, outputs=None)
    return working.set_run_state(run, final)


def final_task_run_state(task: Task | None, run: TaskRun, attempt_state: StateType) -> StateType:
    """warningOnRetry (success after retries ⇒ WARNING), allowFailure (FAILED ⇒ WARNING), allowWarning."""
    state = attempt_state
    if task is None:
        return state
    if (
        state is StateType.SUCCESS
        and task.retry is not None
        and task.retry.warning_on_retry
        and len(run.attempts or ()) > 1
    ):
        state = StateType.WARNING
    if state is StateType.FAILED and task.allow_failure:
        state = StateType.SUCCESS if task.allow_warning else StateType.WARNING
    if state is StateType.WARNING and task.allow_warning:
        state = StateType.SUCCESS
    return state


def retry_delay(retry: Retry, attempt_number: int, *, seed: str) -> timedelta:
    """Delay before attempt ``attempt_number + 1`` (``attempt_number`` is the one that failed)."""
    if isinstance(retry, ConstantRetry):
        return retry.interval
    if isinstance(retry, ExponentialRetry):
        factor = retry.delay_factor or 2.0
        delay = retry.interval * (factor ** (attempt_number - 1))
        return min(delay, retry.max_interval)
    assert isinstance(retry, RandomRetry)
    spread = retry.max_interval - retry.min_interval
    return retry.min_interval + spread * derived_fraction(seed, attempt_number)


def retry_due(retry: Retry, run: TaskRun, now: datetime) -> datetime | None:
    """When the next attempt starts, or None when ``maxAttempts``/``maxDuration`` forbid one."""
    attempts = run.attempts or ()
    if retry.max_attempts is not None and len(attempts) >= retry.max_attempts:
        return None
    due = now + retry_delay(retry, len(attempts), seed=run.id)
    if retry.max_duration is not None and attempts:
        first_start = attempts[0].state.start_date
        if due - first_start > retry.max_duration:
            return None
    return due


def fire_retry(working: Working, run: TaskRun) -> None:
    """RETRYING → a new attempt (runnable: a worker job; subflow: a new child execution)."""
    if run.state.current is not StateType.RETRYING:
        return
    working.set_run_state(run, StateType.RESTARTED)


def schedule_attempt_timeout(working: Working, run: TaskRun) -> None:
    task = working.task_of(run)
    if task is None or task.timeout is None:
        return
    try:
        limit = render_duration(
            working.settings.engine, task.timeout, build_context(working, task=task, run=run)
        )
    except Exception:
        return  # the worker reports the invalid timeout itself
    working.add_timer(
        TimerKind.ATTEMPT_TIMEOUT,
        working.now + limit + working.settings.timeout_grace,
        task_run_id=run.id,
        tag=len(run.attempts or ()),
    )


def fire_attempt_timeout(working: Working, run: TaskRun) -> None:
    """The attempt outlived ``timeout`` + grace without a result: fail it and tell workers to stop."""
    attempt = working.current_attempt(run)
    if attempt is None or attempt.state.current.is_terminated():
        return
    working.log(LogLevel.ERROR, "Timeout: no result from the worker within the task timeout", run=run)
    working.emit(EmitKill(kill=ExecutionKilled(execution_id=working.execution_id, task_run_ids=(run.id,))))
    conclude_attempt(working, run, StateType.FAILED)


def resubmit_runs_of_dead_worker(working: Working, worker_id: str) -> bool:
    """Liveness: attempts RUNNING on ``worker_id`` become RESUBMITTED and a new attempt is submitted."""
    touched = False
    for run in list(working.runs.values()):
        attempt = working.current_attempt(run)
        if attempt is None or attempt.worker_id != worker_id or attempt.state.current.is_terminated():
            continue
        touched = True
        run = working.set_attempt_state(run, StateType.RESUBMITTED)
        working.cancel_timers(task_run_id=run.id, kind=TimerKind.ATTEMPT_TIMEOUT)
        if run.state.current is StateType.KILLING:
            working.set_run_state(run, StateType.KILLED)
            continue
        run = working.set_run_state(run, StateType.RESUBMITTED)
        task = working.task_of(run)
        if task is not None:
            working.log(LogLevel.WARN, f"Worker {worker_id} died: task run resubmitted", run=run)
            submit_attempt(working, run, task)
    return touched


def apply_labels_output(working: Working, run: TaskRun) -> None:
    """The ``Labels`` task's outputs convention: ``{"labels": [{key, value}...]}``, a later key wins."""
    labels: Any = (run.outputs or {}).get(LABELS_OUTPUT)
    if not isinstance(labels, list):
        return
    merged: dict[str, str] = {label.key: label.value for label in working.labels or ()}
    for item in labels:
        if isinstance(item, dict) and "key" in item and not str(item["key"]).startswith("system."):
            merged[str(item["key"])] = str(item.get("value", ""))
    working.labels = tuple(Label(key=key, value=value) for key, value in merged.items())
    working.changed = True
