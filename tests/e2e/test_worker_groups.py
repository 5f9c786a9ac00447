"""``workerGroup`` routing (issue 10 bug 6): a key rendering to null or blank runs on the default
group; ``fallback`` FAIL / CANCEL / WAIT when no worker of the group is alive (Kestra EE docs)."""

from __future__ import annotations

import pytest
from engine_harness import Engine, run_of, task_states

from kestra_stream.config import Config
from kestra_stream.models import StateType
from kestra_stream.server import Server, ServerPlan, ServerSettings


def test_a_key_rendering_to_null_or_blank_runs_on_the_default_group(engine: Engine) -> None:
    execution_id = engine.run("worker_group_routing", inputs={"use_gpu": False})
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, (task_states(done), engine.logs_of(execution_id))
    assert (run_of(done, "conditional").outputs or {})["value"] == "on the default group"
    assert (run_of(done, "blank").outputs or {})["value"] == "blank key"


def test_fallback_fail_fails_the_task_run_at_once(engine: Engine) -> None:
    execution_id = engine.run("worker_group_fail")
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.FAILED, task_states(done)
    assert task_states(done) == {"nowhere": "FAILED", "handled": "SUCCESS"}
    assert not run_of(done, "nowhere").attempts  # never sent to a worker
    assert (run_of(done, "handled").outputs or {})["value"] == "nowhere"
    engine.wait_for(
        lambda: any(
            entry.level.value == "ERROR" and "worker group 'e2e-no-such-group'" in (entry.message or "")
            for entry in engine.logs_of(execution_id)
        ),
        what="the FAIL error line",
    )


def test_fallback_cancel_kills_the_execution_without_an_error(engine: Engine) -> None:
    execution_id = engine.run("worker_group_cancel")
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.KILLED, task_states(done)
    assert task_states(done) == {"nowhere": "KILLED"}
    engine.wait_for(
        lambda: any("CANCEL" in (entry.message or "") for entry in engine.logs_of(execution_id)),
        what="the CANCEL warning",
    )
    assert not [entry for entry in engine.logs_of(execution_id) if entry.level.value == "ERROR"]


def test_fallback_wait_runs_once_a_worker_of_the_group_starts(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    execution_id = engine.run("worker_group_wait")
    waiting = engine.wait_for(
        lambda: (
            (found := engine.execution(execution_id)) is not None and "later" in task_states(found) and found
        ),
        what="the task run waiting for its group",
    )
    assert task_states(waiting)["later"] == "SUBMITTED"
    engine.wait_for(
        lambda: any("waits for one" in (entry.message or "") for entry in engine.logs_of(execution_id)),
        what="the WAIT log line",
    )
    storage = tmp_path_factory.mktemp("late-worker")
    late = Server(
        config=Config().with_overrides({"kestra.storage.local.base-path": str(storage)}),
        plan=ServerPlan(executor=False, worker_group="e2e-late", management=False, worker_threads=1),
        queue=engine.queue,
        settings=ServerSettings(heartbeat_interval=0.5, termination_grace_period=2.0),
    )
    late.start()
    try:
        done = engine.wait_done(execution_id)
    finally:
        late.stop()
    assert done.state.current is StateType.SUCCESS, task_states(done)
    (attempt,) = run_of(done, "later").attempts or ()
    assert attempt.worker_id == late.instance_id
