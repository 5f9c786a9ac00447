"""The shell's last resort (``_failure.failed_outcome`` → ``core.fail_execution``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kestra_stream.executor._failure import failed_outcome
from kestra_stream.executor.core import EmitConcurrencyRequest, EmitExecutionMessage, EmitKill, EmitLog
from kestra_stream.executor.messages import ConcurrencyAction, SubflowEnded
from kestra_stream.executor.state import ConcurrencySlot, ExecutorState, Timer, TimerKind
from kestra_stream.models.execution import Execution, ExecutionTrigger, TaskRun, TaskRunAttempt
from kestra_stream.models.state import State, StateType

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def run(task_id: str, state: StateType, *, attempt: StateType | None = None) -> TaskRun:
    return TaskRun(
        id=f"tr-{task_id}",
        execution_id="e1",
        namespace="ns",
        flow_id="f",
        task_id=task_id,
        state=State.of(state, at=NOW),
        attempts=(TaskRunAttempt(state=State.of(attempt, at=NOW)),) if attempt else None,
    )


def running_state() -> ExecutorState:
    execution = Execution(
        id="e1",
        namespace="ns",
        flow_id="f",
        flow_revision=1,
        state=State.of(StateType.RUNNING, at=NOW),
        parent_id="parent",
        trigger=ExecutionTrigger(
            id="sub", type="io.kestra.plugin.core.flow.Subflow", variables={"taskRunId": "p1"}
        ),
        task_run_list=(
            run("done", StateType.SUCCESS, attempt=StateType.SUCCESS),
            run("busy", StateType.RUNNING, attempt=StateType.RUNNING),
            run("waiting", StateType.CREATED),
        ),
    )
    retry = Timer(timer_id="retry", due=NOW + timedelta(minutes=1), kind=TimerKind.RETRY)
    return ExecutorState(execution=execution, timers=(retry,), concurrency=ConcurrencySlot.HELD)


def test_fails_the_execution_its_unfinished_runs_and_tells_everyone() -> None:
    outcome = failed_outcome(running_state(), "undecodable message", now=NOW)
    assert outcome.state is not None
    execution = outcome.state.execution
    assert execution.state.current is StateType.FAILED
    runs = {run.task_id: run for run in execution.task_runs()}
    assert runs["done"].state.current is StateType.SUCCESS
    assert runs["busy"].state.current is StateType.FAILED
    assert runs["busy"].attempts is not None and runs["busy"].attempts[-1].state.current is StateType.FAILED
    assert runs["waiting"].state.current is StateType.FAILED
    kinds = [type(command) for command in outcome.commands]
    assert EmitKill in kinds
    logs = [c.entry for c in outcome.commands if isinstance(c, EmitLog)]
    assert any(entry.message == "undecodable message" and entry.level.value == "ERROR" for entry in logs)
    ended = [c.message for c in outcome.commands if isinstance(c, EmitExecutionMessage)]
    assert any(isinstance(m, SubflowEnded) and m.execution_id == "parent" for m in ended)
    releases = [c.request for c in outcome.commands if isinstance(c, EmitConcurrencyRequest)]
    assert [r.action for r in releases] == [ConcurrencyAction.RELEASE]
    assert [timer.kind for timer in outcome.state.timers] == [TimerKind.PURGE]


def test_an_ended_execution_only_gets_the_log_and_the_purge_timer() -> None:
    state = running_state()
    done = ExecutorState(execution=state.execution.with_state(StateType.SUCCESS, at=NOW))
    outcome = failed_outcome(done, "too large", now=NOW)
    assert outcome.state is not None
    assert outcome.state.execution.state.current is StateType.SUCCESS
    assert [type(command) for command in outcome.commands] == [EmitLog]
    assert [timer.kind for timer in outcome.state.timers] == [TimerKind.PURGE]
