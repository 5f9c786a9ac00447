"""Operations on running executions end to end: resume with onResume inputs, kill with cascade,
restart from the failed task, replay."""

from __future__ import annotations

from engine_harness import Engine, attempts, labels_of, new_id, run_of, runs, task_states

from kestra_stream.executor.messages import KillExecution, NewExecution, RestartExecution, ResumeExecution
from kestra_stream.models import Execution, StateType
from kestra_stream.webserver.execution_actions import replayed


def test_pause_then_resume_with_on_resume_inputs(engine: Engine) -> None:
    execution_id = engine.run("pause_resume")
    paused = engine.wait_state(execution_id, StateType.PAUSED)
    assert run_of(paused, "wait").state.current is StateType.PAUSED
    engine.send(ResumeExecution(execution_id=execution_id, inputs={"approved": "true"}, by="alice"))
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    outputs = run_of(done, "wait").outputs or {}
    assert outputs["onResume"] == {"approved": True}
    assert outputs["resumed"]["by"] == "alice"
    assert run_of(done, "after").outputs == {"value": "true"}
    assert engine.history(execution_id)[-3:] == [StateType.PAUSED, StateType.RUNNING, StateType.SUCCESS]


def test_kill_cascades_to_the_subflow_child(engine: Engine) -> None:
    execution_id = engine.run("subflow_paused")

    def child_paused() -> str | None:
        parent = engine.execution(execution_id)
        call = runs(parent).get("call") if parent else None
        child_id = (call[0].outputs or {}).get("executionId") if call else None
        child = engine.execution(child_id) if child_id else None
        return child_id if child is not None and child.state.current is StateType.PAUSED else None

    child_id: str = engine.wait_for(child_paused, what="the paused child")
    engine.send(KillExecution(execution_id=execution_id, cascade=True))
    parent = engine.wait_done(execution_id)
    child = engine.wait_done(child_id)
    assert parent.state.current is StateType.KILLED
    assert child.state.current is StateType.KILLED
    assert run_of(child, "maybe_pause").state.current is StateType.KILLED


def test_restart_reruns_the_failed_task_with_a_new_attempt(engine: Engine) -> None:
    execution_id = engine.run("restart")
    failed = engine.wait_done(execution_id)
    assert failed.state.current is StateType.FAILED
    engine.send(RestartExecution(execution_id=execution_id))
    engine.wait_state(execution_id, StateType.RESTARTED, StateType.RUNNING, StateType.SUCCESS)
    done = engine.wait_state(execution_id, StateType.SUCCESS)
    assert done.metadata is not None and done.metadata.attempt_number == 2
    b = run_of(done, "b")
    assert [a.state.current for a in attempts(b)] == [StateType.FAILED, StateType.SUCCESS]
    assert len(attempts(run_of(done, "a"))) == 1  # not run again
    assert labels_of(done)["system.restarted"] == "true"
    assert StateType.RESTARTED in [entry.state for entry in done.state.histories]


def test_replay_from_the_failed_task_is_a_new_execution(engine: Engine) -> None:
    original_id = engine.run("replay")
    failed = engine.wait_done(original_id)
    assert failed.state.current is StateType.FAILED
    b_run = run_of(failed, "b")
    replay = replayed(failed, b_run.id, None)
    assert replay.id != original_id
    engine.send(NewExecution(execution=replay))
    done = engine.wait_done(replay.id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert done.original_id == original_id
    assert labels_of(done)["system.replay"] == "true"
    assert run_of(done, "a").id == run_of(failed, "a").id  # copied, not run again
    assert run_of(done, "a").outputs == {"value": original_id}
    assert run_of(done, "b").state.current is StateType.SUCCESS
    assert engine.execution(original_id).state.current is StateType.FAILED  # type: ignore[union-attr]
    assert new_id() != replay.id


def test_pause_runs_its_on_pause_task_while_paused(engine: Engine) -> None:
    """Pause ``onPause`` (issue 10 bug 9): run when the execution pauses, as Kestra does."""
    execution_id = engine.run("pause_on_pause")

    def notified() -> Execution | None:
        found = engine.execution(execution_id)
        if found is None or found.state.current is not StateType.PAUSED:
            return None
        return found if task_states(found).get("notify") == "SUCCESS" else None

    paused: Execution = engine.wait_for(notified, what="the onPause task done while paused")
    assert run_of(paused, "wait").state.current is StateType.PAUSED
    assert (run_of(paused, "notify").outputs or {})["value"] == "paused at notify"
    engine.send(ResumeExecution(execution_id=execution_id))
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert (run_of(done, "after").outputs or {})["value"] == "paused at notify"


def test_the_execution_ends_after_its_on_pause_task(engine: Engine) -> None:
    """The Pause resumes without waiting for ``onPause``; the execution's end waits for it."""
    done = engine.wait_done(engine.run("pause_on_pause_slow"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    notify = run_of(done, "slow_notify")
    assert notify.state.current is StateType.SUCCESS
    assert run_of(done, "wait").state.end_date <= notify.state.end_date  # type: ignore[operator]
    assert notify.state.end_date <= done.state.end_date  # type: ignore[operator]
