"""One test (or a few) per named rule of the core."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kestra_stream.executor.core import CoreSettings, TimerFired, WorkerDied, guard_state_size, handle
from kestra_stream.executor.core._attempts import final_task_run_state, retry_delay, retry_due
from kestra_stream.executor.core._containers import worst_state
from kestra_stream.executor.core._context import labels_context
from kestra_stream.executor.core._rendering import loop_values
from kestra_stream.executor.core.concurrency import ConcurrencyCounter, count
from kestra_stream.executor.liveness import dead_workers, executions_using_worker, uses_worker
from kestra_stream.executor.messages import (
    ConcurrencyAction,
    ConcurrencyRequest,
    ConcurrencyVerdict,
    KillExecution,
    NewExecution,
    RestartExecution,
    ResumeExecution,
    SubflowEnded,
    WorkerTaskResult,
    execution_message_from_json,
)
from kestra_stream.executor.state import ExecutorState
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.models import (
    ConstantRetry,
    ExponentialRetry,
    Label,
    RandomRetry,
    State,
    StateType,
    TaskRun,
    TaskRunAttempt,
)
from kestra_stream.plugins.core.debug import Return

from .harness import START, Harness, fail, hang

LOG = "type: io.kestra.plugin.core.debug.Return"
SIMPLE = f"id: f\nnamespace: company.team\ntasks:\n  - id: a\n    {LOG}\n  - id: b\n    {LOG}\n"


def _run(attempts: int = 1) -> TaskRun:
    return TaskRun(
        id="r",
        execution_id="e",
        namespace="n",
        flow_id="f",
        task_id="t",
        attempts=tuple(TaskRunAttempt(state=State.of(StateType.FAILED, at=START)) for _ in range(attempts)),
    )


# -- state derivation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "allow_failure", "allow_warning", "expected"),
    [
        ([], False, False, StateType.SUCCESS),
        ([StateType.SUCCESS, StateType.SKIPPED, StateType.RETRIED], False, False, StateType.SUCCESS),
        ([StateType.WARNING, StateType.FAILED], False, False, StateType.FAILED),
        ([StateType.FAILED, StateType.KILLED], False, False, StateType.KILLED),
        ([StateType.FAILED], True, False, StateType.WARNING),
        ([StateType.FAILED], True, True, StateType.SUCCESS),
        ([StateType.WARNING], False, True, StateType.SUCCESS),
    ],
)
def test_worst_state(
    states: list[StateType], allow_failure: bool, allow_warning: bool, expected: StateType
) -> None:
    assert worst_state(states, allow_failure=allow_failure, allow_warning=allow_warning) is expected


def test_final_task_run_state_applies_warning_on_retry_and_allow_flags() -> None:
    retry = ConstantRetry(type="constant", interval=timedelta(seconds=1), warning_on_retry=True)
    task = Return(type="io.kestra.plugin.core.debug.Return", id="t", retry=retry)
    assert final_task_run_state(task, _run(2), StateType.SUCCESS) is StateType.WARNING
    assert final_task_run_state(task, _run(1), StateType.SUCCESS) is StateType.SUCCESS
    tolerant = Return(type="io.kestra.plugin.core.debug.Return", id="t", allow_failure=True)
    assert final_task_run_state(tolerant, _run(), StateType.FAILED) is StateType.WARNING
    both = tolerant.model_copy(update={"allow_warning": True})
    assert final_task_run_state(both, _run(), StateType.FAILED) is StateType.SUCCESS


# -- retries ------------------------------------------------------------------------------------


def test_retry_delay_constant_exponential_random() -> None:
    constant = ConstantRetry(type="constant", interval=timedelta(seconds=5))
    assert retry_delay(constant, 3, seed="x") == timedelta(seconds=5)
    exponential = ExponentialRetry(
        type="exponential", interval=timedelta(seconds=1), max_interval=timedelta(seconds=5)
    )
    delays = [retry_delay(exponential, n, seed="x").total_seconds() for n in (1, 2, 3, 4)]
    assert delays == [1, 2, 4, 5]
    randomized = RandomRetry(
        type="random", min_interval=timedelta(seconds=1), max_interval=timedelta(seconds=2)
    )
    delay = retry_delay(randomized, 1, seed="x")
    assert timedelta(seconds=1) <= delay < timedelta(seconds=2)
    assert delay == retry_delay(randomized, 1, seed="x")


def test_retry_due_respects_max_attempts_and_max_duration() -> None:
    retry = ConstantRetry(type="constant", interval=timedelta(seconds=10), max_attempts=2)
    assert retry_due(retry, _run(1), START) == START + timedelta(seconds=10)
    assert retry_due(retry, _run(2), START) is None
    bounded = ConstantRetry(
        type="constant", interval=timedelta(seconds=10), max_duration=timedelta(seconds=15)
    )
    assert retry_due(bounded, _run(1), START) == START + timedelta(seconds=10)
    assert retry_due(bounded, _run(1), START + timedelta(seconds=6)) is None


# -- worker results and dedup ---------------------------------------------------------------------


def _started(behaviors: dict[str, Any] | None = None) -> tuple[Harness, str]:
    h = Harness((SIMPLE,), behaviors={"a": hang} if behaviors is None else behaviors)
    return h, h.start("f")


def test_duplicate_and_stale_results_are_ignored() -> None:
    h, execution_id = _started()
    job = h.job_for("a")
    done = h._result(job, StateType.SUCCESS)
    assert h.deliver(execution_id, done).changed
    again = h.deliver(execution_id, done)
    assert not again.changed and again.commands and "duplicate" in again.commands[0].entry.message  # type: ignore[union-attr]
    stale = done.model_copy(update={"attempt_number": 7})
    assert not h.deliver(execution_id, stale).changed
    unknown = done.model_copy(update={"task_run_id": "nope"})
    assert not h.deliver(execution_id, unknown).changed


def test_running_result_records_the_worker() -> None:
    h, execution_id = _started()
    run = h.runs(execution_id)["a"][0]
    assert run.state.current is StateType.RUNNING
    assert run.attempts[-1].worker_id == "worker-1"


def test_result_for_unknown_execution_is_ignored() -> None:
    result = WorkerTaskResult(execution_id="x", task_run_id="t", attempt_number=1, state=StateType.SUCCESS)
    outcome = handle(None, result, flows=lambda *a: None, now=START)
    assert outcome.state is None and not outcome.changed


def test_new_execution_twice_is_ignored() -> None:
    h, execution_id = _started()
    before = h.states[execution_id]
    outcome = h.deliver(execution_id, NewExecution(execution=before.execution))
    assert not outcome.changed and outcome.state is before


def test_same_event_on_same_state_gives_same_commands() -> None:
    h = Harness((SIMPLE,))
    message = NewExecution(execution=_execution())
    first = handle(None, message, flows=h.lookup, now=START)
    second = handle(None, message, flows=h.lookup, now=START)
    assert [c.job.task_run_id for c in first.commands if hasattr(c, "job")] == [
        c.job.task_run_id for c in second.commands if hasattr(c, "job")
    ]
    assert first.state is not None and second.state is not None
    assert first.state.execution == second.state.execution


def _execution() -> Any:
    from kestra_stream.models import Execution

    return Execution(
        id="e1",
        namespace="company.team",
        flow_id="f",
        flow_revision=1,
        state=State.of(StateType.CREATED, at=START),
    )


# -- liveness and timeouts ------------------------------------------------------------------------


def test_worker_died_resubmits_a_new_attempt() -> None:
    h, execution_id = _started()
    h.auto_run = False
    assert executions_using_worker(h.states.values(), "worker-1") == [execution_id]
    h.deliver(execution_id, WorkerDied(worker_id="worker-1"))
    run = h.runs(execution_id)["a"][0]
    assert [a.state.current for a in run.attempts] == [StateType.RESUBMITTED, StateType.CREATED]
    assert [entry.state for entry in run.state.histories][-2:] == [StateType.RESUBMITTED, StateType.SUBMITTED]
    assert h.jobs[-1].attempt_number == 2
    assert not uses_worker(h.states[execution_id], "worker-1")
    assert not h.deliver(execution_id, WorkerDied(worker_id="worker-2")).changed


def test_dead_workers() -> None:
    seen = {"w1": START, "w2": START + timedelta(seconds=40)}
    assert dead_workers(seen, now=START + timedelta(seconds=50)) == {"w1"}


def test_attempt_outliving_timeout_plus_grace_fails() -> None:
    source = f"id: f\nnamespace: company.team\ntasks:\n  - id: a\n    {LOG}\n    timeout: PT10S\n"
    h = Harness((source,), behaviors={"a": hang}, settings=CoreSettings(timeout_grace=timedelta(seconds=5)))
    execution_id = h.start("f")
    h.advance(timedelta(seconds=14))
    assert h.run_state(execution_id, "a") is StateType.RUNNING
    h.advance(timedelta(seconds=1))
    assert h.state_of(execution_id) is StateType.FAILED
    assert h.kills[-1].task_run_ids == (h.runs(execution_id)["a"][0].id,)


def test_stale_timer_is_ignored() -> None:
    h, execution_id = _started()
    assert not h.deliver(execution_id, TimerFired(timer_id="RETRY:nope:1")).changed


# -- operations guards ------------------------------------------------------------------------------


def test_kill_of_terminated_execution_is_ignored() -> None:
    h = Harness((SIMPLE,))
    execution_id = h.start("f")
    assert not h.deliver(execution_id, KillExecution(execution_id=execution_id)).changed


def test_resume_of_running_execution_is_ignored() -> None:
    h, execution_id = _started()
    assert not h.deliver(execution_id, ResumeExecution(execution_id=execution_id)).changed


def test_restart_of_running_execution_is_ignored_and_restart_after_purge_uses_the_given_execution() -> None:
    h, execution_id = _started({"a": fail})
    assert h.state_of(execution_id) is StateType.FAILED
    failed = h.execution(execution_id)
    h.advance(h.settings.purge_after)
    assert execution_id not in h.states
    h.behaviors = {}
    h.send(RestartExecution(execution_id=execution_id, execution=failed), run=True)
    assert h.state_of(execution_id) is StateType.SUCCESS
    h2, running = _started()
    assert not h2.deliver(running, RestartExecution(execution_id=running)).changed


def test_kill_of_queued_execution_is_immediate() -> None:
    source = (
        "id: f\nnamespace: company.team\nconcurrency:\n  limit: 1\n"
        "tasks:\n  - id: p\n    type: io.kestra.plugin.core.flow.Pause\n"
    )
    h = Harness((source,))
    h.start("f")
    second = h.start("f")
    h.send(KillExecution(execution_id=second), run=True)
    assert h.state_of(second) is StateType.KILLED


def test_subflow_end_of_unknown_child_is_ignored() -> None:
    h, execution_id = _started()
    message = SubflowEnded(
        execution_id=execution_id, task_run_id="nope", child_execution_id="c", state=StateType.SUCCESS
    )
    assert not h.deliver(execution_id, message).changed


# -- poison events and size guard -------------------------------------------------------------------


def test_exception_in_a_rule_fails_the_execution_not_the_caller() -> None:
    h, execution_id = _started()

    def exploding(namespace: str, flow_id: str, revision: int | None) -> Any:
        raise RuntimeError("boom")

    outcome = handle(
        h.states[execution_id], KillExecution(execution_id=execution_id), flows=exploding, now=START
    )
    assert outcome.state is not None and outcome.state.execution.state.current is StateType.FAILED
    messages = [c.entry.message for c in outcome.commands if hasattr(c, "entry")]
    assert any("boom" in (message or "") for message in messages)


def test_guard_state_size_fails_and_shrinks_an_oversized_execution() -> None:
    h, execution_id = _started({"a": lambda job: (StateType.SUCCESS, {"big": "x" * 1000}), "b": hang})
    state = h.states[execution_id]
    assert guard_state_size(state, len(state.to_bytes()), now=START, settings=h.settings) is None
    outcome = guard_state_size(state, 2000, now=START, settings=h.settings, limit=1000)
    assert outcome is not None and outcome.state is not None
    assert outcome.state.execution.state.current is StateType.FAILED
    assert all(run.outputs is None for run in outcome.state.execution.task_runs())
    assert "message-protection.limit" in outcome.commands[0].entry.message  # type: ignore[union-attr]


# -- context and values ----------------------------------------------------------------------------


def test_loop_values_dedupes_serialises_and_rejects_null() -> None:
    engine = ExpressionEngine()
    assert loop_values(engine, ["a", "a", {"k": 1}, 2], {}) == ["a", '{"k":1}', "2"]
    assert loop_values(engine, '["x", "y"]', {}) == ["x", "y"]
    assert loop_values(engine, "{{ items }}", {"items": [1, 2]}) == ["1", "2"]
    with pytest.raises(ValueError, match="null"):
        loop_values(engine, [None], {})


def test_labels_context_exposes_system_labels_nested() -> None:
    labels = (
        Label(key="team", value="a"),
        Label(key="team", value="b"),
        Label(key="system.correlationId", value="c"),
    )
    context = labels_context(labels)
    assert context["team"] == "a"
    assert context["system"] == {"correlationId": "c"}


def test_worker_job_context() -> None:
    h, execution_id = _started({})
    job = h.job_for("b")
    variables = job.variables
    assert variables["flow"] == {"id": "f", "namespace": "company.team", "revision": 1}
    assert variables["execution"]["id"] == execution_id and variables["execution"]["state"] == "RUNNING"
    assert variables["task"] == {"id": "b", "type": "io.kestra.plugin.core.debug.Return"}
    assert variables["taskrun"]["attemptsCount"] == 0
    assert variables["tasks"]["a"] == {"state": "SUCCESS"}
    assert job.task == {"id": "b", "type": "io.kestra.plugin.core.debug.Return"} or job.task["id"] == "b"


# -- concurrency counter ----------------------------------------------------------------------------


def _request(execution_id: str, action: ConcurrencyAction, behavior: str = "QUEUE") -> ConcurrencyRequest:
    return ConcurrencyRequest(
        flow_key="main/n/f", execution_id=execution_id, action=action, limit=1, behavior=behavior
    )


def test_concurrency_counter_queues_fifo_and_promotes_on_release() -> None:
    counter, decisions = count(None, _request("e1", ConcurrencyAction.ACQUIRE))
    assert decisions[0].verdict is ConcurrencyVerdict.RUN
    counter, decisions = count(counter, _request("e2", ConcurrencyAction.ACQUIRE))
    assert decisions[0].verdict is ConcurrencyVerdict.QUEUE
    counter, decisions = count(counter, _request("e2", ConcurrencyAction.ACQUIRE))
    assert decisions[0].verdict is ConcurrencyVerdict.QUEUE and counter.queued == ("e2",)
    counter, decisions = count(counter, _request("e1", ConcurrencyAction.RELEASE))
    assert [(d.execution_id, d.verdict) for d in decisions] == [("e2", ConcurrencyVerdict.RUN)]
    assert ConcurrencyCounter.from_bytes(counter.to_bytes()) == counter


def test_concurrency_counter_cancel_and_fail() -> None:
    counter, _ = count(None, _request("e1", ConcurrencyAction.ACQUIRE))
    _, decisions = count(counter, _request("e2", ConcurrencyAction.ACQUIRE, "CANCEL"))
    assert decisions[0].verdict is ConcurrencyVerdict.CANCEL
    _, decisions = count(counter, _request("e2", ConcurrencyAction.ACQUIRE, "FAIL"))
    assert decisions[0].verdict is ConcurrencyVerdict.FAIL


# -- serialisation ------------------------------------------------------------------------------------


def test_state_and_messages_round_trip() -> None:
    h, execution_id = _started()
    h.advance(timedelta(seconds=1))
    state = h.states[execution_id]
    restored = ExecutorState.from_bytes(state.to_bytes())
    assert restored.execution == state.execution
    assert restored.timers == state.timers and restored.extra == state.extra
    message = KillExecution(execution_id="x", cascade=False)
    assert execution_message_from_json(message.to_json()) == message
