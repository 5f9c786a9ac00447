"""Flow-level ``retry`` (kestra-features §2.3, §7.4): RETRY_FAILED_TASK and CREATE_NEW_EXECUTION, and
a task's ``retry`` with ``behavior: CREATE_NEW_EXECUTION`` (the whole execution again, as Kestra)."""

from __future__ import annotations

from kestra_stream.executor.core._attempts import retry_delay
from kestra_stream.executor.core._reopen import failed_runs, reopen_runs
from kestra_stream.executor.core._types import EmitExecutionMessage
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import NewExecution
from kestra_stream.executor.state import TimerKind
from kestra_stream.models.execution import ExecutionMetadata, TaskRun
from kestra_stream.models.ids import new_id
from kestra_stream.models.labels import Label
from kestra_stream.models.retry import Retry, RetryBehavior
from kestra_stream.models.state import State, StateType
from kestra_stream.models.task_options import LogLevel

_ = new_id


def flow_attempts(working: Working) -> int:
    """Attempts of the execution so far for RETRY_FAILED_TASK: one plus each RETRYING it went through."""
    return 1 + sum(1 for history in working.state.histories if history.state is StateType.RETRYING)


def schedule_flow_retry(working: Working) -> bool:
    """The execution would end FAILED: retry it if its flow says so (True), else let it fail (False)."""
    assert working.index is not None
    retry = working.index.flow.retry
    if retry is None:
        return False
    if retry.behavior is RetryBehavior.CREATE_NEW_EXECUTION:
        attempts = working.attempt_number
    else:
        attempts = flow_attempts(working)
    if retry.max_attempts is not None and attempts >= retry.max_attempts:
        return False
    due = working.now + retry_delay(retry, attempts, seed=working.execution_id)
    if retry.max_duration is not None and due - working.state.start_date > retry.max_duration:
        return False
    if retry.behavior is RetryBehavior.CREATE_NEW_EXECUTION:
        retry_as_new_execution(working, due)
        return True
    working.set_execution_state(StateType.FAILED)
    working.set_execution_state(StateType.RETRYING)
    working.add_timer(TimerKind.FLOW_RETRY, due, tag=attempts)
    working.log(LogLevel.WARN, f"Execution failed: retry {attempts + 1} planned at {due.isoformat()}")
    return True


def fire_flow_retry(working: Working) -> None:
    """RETRYING → RUNNING: the failed task runs get a new attempt."""
    if working.current is not StateType.RETRYING:
        return
    reopen_runs(working, failed_runs(working))
    working.set_execution_state(StateType.RUNNING)


def retry_task_as_new_execution(working: Working, run: TaskRun, retry: Retry) -> TaskRun | None:
    """A task's ``retry.behavior: CREATE_NEW_EXECUTION``: as Kestra 1.3.31 does, the failed task run
    and the execution become RETRIED and a new execution (attemptNumber + 1) runs the flow from the
    start; ``maxAttempts`` counts executions. None when no attempt is left (the task run fails)."""
    attempts = working.attempt_number
    if retry.max_attempts is not None and attempts >= retry.max_attempts:
        return None
    due = working.now + retry_delay(retry, attempts, seed=working.execution_id)
    if retry.max_duration is not None and due - working.state.start_date > retry.max_duration:
        return None
    run = working.set_run_state(run, StateType.RETRIED)
    retry_as_new_execution(working, due)
    return run


def retry_as_new_execution(working: Working, due: object) -> None:
    """CREATE_NEW_EXECUTION: this execution becomes RETRIED; a copy starts afresh (attemptNumber + 1)."""
    from kestra_stream.executor.core._advance import announce_end
    from kestra_stream.executor.core._ids import derived_id

    base = working.base
    metadata = working.metadata or ExecutionMetadata()
    new_execution = base.model_copy(
        update={
            "id": derived_id(base.id, "retry", metadata.attempt_number + 1),
            "task_run_list": None,
            "outputs": None,
            "variables": None,
            "state": State.of(StateType.CREATED, at=working.now),
            "original_id": base.original_id or base.id,
            "metadata": metadata.model_copy(
                update={
                    "attempt_number": metadata.attempt_number + 1,
                    "original_created_date": metadata.original_created_date or base.state.start_date,
                }
            ),
            "schedule_date": due,
            "labels": _with_replay_label(base.labels),
        }
    )
    for failed in failed_runs(working):
        working.set_run_state(failed, StateType.RETRIED)
    working.set_execution_state(StateType.RETRIED)
    working.emit(EmitExecutionMessage(message=NewExecution(execution=new_execution)))
    working.log(LogLevel.WARN, f"Execution failed: retried as new execution {new_execution.id}")
    announce_end(working)


def _with_replay_label(labels: tuple[Label, ...] | None) -> tuple[Label, ...]:
    """Kestra marks the new execution of a CREATE_NEW_EXECUTION retry ``system.replay: true``."""
    kept = tuple(label for label in labels or () if label.key != "system.replay")
    return (*kept, Label(key="system.replay", value="true"))
