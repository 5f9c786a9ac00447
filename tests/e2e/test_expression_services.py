"""Service-backed expression functions in real flows: ``errorLogs()``/``tasksWithState()`` in an
errors branch, ``kv()`` after a ``kv.Set`` and ``read()`` of a Write task's URI."""

from __future__ import annotations

from engine_harness import Engine, run_of, task_states

from kestra_stream.models import StateType


def test_errors_branch_reads_error_logs_and_tasks_with_state(engine: Engine) -> None:
    execution_id = engine.run("error_logs")
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.FAILED
    states = task_states(done)
    assert states["flaky"] == "FAILED" and states["alert"] == "SUCCESS", states
    report = str((run_of(done, "report").outputs or {})["value"])
    task_id, count, failed = report.split("|")
    assert task_id == "flaky" and failed == "flaky"
    assert int(count) >= 2  # one error per failed attempt
    alerts = [entry.message or "" for entry in engine.logs_of(execution_id) if entry.task_id == "alert"]
    assert alerts and alerts[0].startswith("alert: ") and "exit" in alerts[0].lower(), alerts
    assert not any("ExpressionError" in message for message in alerts), alerts


def test_kv_after_kv_set_and_read_of_a_written_file(engine: Engine) -> None:
    execution_id = engine.run("kv_and_read")
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert (run_of(done, "get").outputs or {})["value"] == f"hello {execution_id}"
    content = "content of kv_and_read"
    assert (run_of(done, "read").outputs or {})["value"] == f"{content}|{len(content)}|true"


def test_executor_renderings_reach_kv_and_files(engine: Engine) -> None:
    """If/Switch/runIf/flow outputs are rendered by the executor: the services are there too."""
    execution_id = engine.run("executor_services")
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, (task_states(done), engine.logs_of(execution_id))
    states = task_states(done)
    assert states["matched"] == "SUCCESS" and states["gated"] == "SUCCESS", states
    outputs = done.outputs or {}
    assert outputs["stored"] == f"yes|written|{len('written')}"
    assert outputs["succeeded"] >= 4
