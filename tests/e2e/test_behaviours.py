"""Task and flow behaviours end to end: errors, finally, afterExecution, retries, timeouts, runIf,
disabled tasks, flow outputs, labels, checks, SLA, pause timeouts."""

from __future__ import annotations

import pytest
from engine_harness import Engine, attempts, labels_of, run_of, runs, task_states

from kestra_stream.models import Execution, StateType


def test_fail_runs_local_then_flow_errors_then_finally_then_after_execution(engine: Engine) -> None:
    execution_id = engine.run("errors_finally")
    engine.wait_done(execution_id)

    def after_execution_done() -> Execution | None:
        current = engine.execution(execution_id)
        if current is None or not all(run.state.current.is_terminated() for run in current.task_runs()):
            return None
        return current if "not_on_failure" in task_states(current) else None

    done: Execution = engine.wait_for(after_execution_done, what="afterExecution tasks")
    assert done.state.current is StateType.FAILED
    order = [run.task_id for run in done.task_runs()]
    assert order == [
        "a",
        "seq",
        "boom",
        "local_handler",
        "global_handler",
        "cleanup",
        "notify",
        "not_on_failure",
    ], str(order)
    states = task_states(done)
    assert states["boom"] == "FAILED" and "never" not in states
    assert states["notify"] == "SUCCESS" and states["not_on_failure"] == "SKIPPED"
    assert run_of(done, "cleanup").outputs == {"value": "RUNNING"}
    assert run_of(done, "notify").outputs == {"value": "FAILED"}
    engine.wait_for(
        lambda: any(entry.message == "boom errors_finally" for entry in engine.logs_of(execution_id)),
        what="the Fail task's error log",
    )


def test_task_retries_constant_with_warning_and_exponential_until_max_attempts(engine: Engine) -> None:
    done = engine.wait_done(engine.run("retries"))
    constant = run_of(done, "constant")
    assert [a.state.current for a in attempts(constant)] == [
        StateType.FAILED,
        StateType.FAILED,
        StateType.SUCCESS,
    ]
    assert constant.state.current is StateType.WARNING  # warningOnRetry
    gaps = [
        (later.state.start_date - earlier.state.end_date).total_seconds()
        for earlier, later in zip(attempts(constant), attempts(constant)[1:], strict=False)
        if earlier.state.end_date is not None
    ]
    assert all(gap >= 0.15 for gap in gaps), gaps  # PT0.2S interval (start dates are the worker's)
    exponential = run_of(done, "exponential")
    assert len(attempts(exponential)) == 3
    assert all(a.state.current is StateType.FAILED for a in attempts(exponential))
    assert task_states(done)["handler"] == "SUCCESS"
    assert done.state.current is StateType.FAILED


def test_flow_retry_create_new_execution(engine: Engine) -> None:
    execution_id = engine.run("flow_retry_new")
    first = engine.wait_state(execution_id, StateType.RETRIED)
    assert first.state.current is StateType.RETRIED

    def retried() -> list[Execution]:
        return [
            e
            for e in engine.executions_of("flow_retry_new")
            if e.original_id == execution_id and e.id != execution_id
        ]

    (new,) = engine.wait_for(retried, what="the retry execution")
    done = engine.wait_done(new.id)
    assert done.state.current is StateType.SUCCESS  # the Fail condition holds only on the original
    assert done.metadata is not None and done.metadata.attempt_number == 2


def test_attempt_timeout_fails_the_task(engine: Engine) -> None:
    done = engine.wait_done(engine.run("timeout"), timeout=30)
    assert done.state.current is StateType.FAILED
    slow = run_of(done, "slow")
    assert slow.state.current is StateType.FAILED
    assert slow.state.end_date is not None
    assert (slow.state.end_date - slow.state.start_date).total_seconds() < 10
    assert "never" not in runs(done)


def test_run_if_false_skips_and_disabled_tasks_have_no_task_run(engine: Engine) -> None:
    done = engine.wait_done(engine.run("run_if_disabled"))
    assert task_states(done) == {"skipped": "SKIPPED", "ran": "SUCCESS"}
    assert done.state.current is StateType.SUCCESS


def test_flow_outputs_are_rendered_and_typed(engine: Engine) -> None:
    done = engine.wait_done(engine.run("flow_outputs", inputs={"name": "joe"}))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert done.outputs == {"final": "flow_outputs-joe", "count": 42}


def test_labels_task_updates_the_execution_labels(engine: Engine) -> None:
    execution_id = engine.run("labels", labels={"team": "old", "keep": "me"})
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    labels = labels_of(done)
    assert labels["team"] == "data" and labels["keep"] == "me"
    assert labels["system.correlationId"] == execution_id
    assert run_of(done, "read").outputs == {"value": "data"}


def test_checks_fail_or_warn_at_start(engine: Engine) -> None:
    failing = engine.run("checks", inputs={"n": 500})
    warned = engine.run("checks", inputs={"n": -1})
    done = engine.wait_done(failing)
    assert done.state.current is StateType.FAILED
    assert list(done.task_runs()) == []
    ok = engine.wait_done(warned)
    assert ok.state.current is StateType.SUCCESS
    engine.wait_for(
        lambda: any(entry.message == "Check failed: n must be positive" for entry in engine.logs_of(warned)),
        what="the check warning",
    )


def test_sla_max_duration_fails_the_execution_and_labels_it(engine: Engine) -> None:
    execution_id = engine.run("sla")
    done = engine.wait_done(execution_id, timeout=30)
    assert done.state.current is StateType.FAILED
    assert labels_of(done)["sla"] == "miss"
    assert done.state.end_date is not None
    assert (done.state.end_date - done.state.start_date).total_seconds() < 20  # not the 30 s sleep
    assert run_of(done, "slow").state.current in (StateType.KILLED, StateType.FAILED)


@pytest.mark.parametrize(
    ("flow_id", "task_state", "execution_state"),
    [
        ("pause_timeout_resume", "SUCCESS", StateType.SUCCESS),
        ("pause_timeout_warn", "WARNING", StateType.WARNING),
        ("pause_timeout_fail", "FAILED", StateType.FAILED),
        ("pause_timeout_cancel", "CANCELLED", StateType.CANCELLED),
    ],
)
def test_pause_duration_ends_with_its_behavior(
    engine: Engine, flow_id: str, task_state: str, execution_state: StateType
) -> None:
    execution_id = engine.run(flow_id)
    engine.wait_state(execution_id, StateType.PAUSED)
    done = engine.wait_done(execution_id, timeout=30)
    assert task_states(done) == {"wait": task_state}
    assert done.state.current is execution_state
    paused = run_of(done, "wait")
    assert paused.state.end_date is not None
    assert (paused.state.end_date - paused.state.start_date).total_seconds() >= 0.9
