"""Flows of the kestra_stream_plugins families run through the worker, on MemoryQueue and Kafka."""

from __future__ import annotations

from engine_harness import Engine, run_of, task_states

from kestra_stream.models import StateType


def test_script_languages_run_on_the_worker_and_a_missing_interpreter_goes_to_errors(engine: Engine) -> None:
    done = engine.wait_done(engine.run("script_languages"))
    states = task_states(done)
    assert states["ruby"] == states["lua"] == states["php"] == "SUCCESS", states
    assert run_of(done, "summary").outputs == {"value": "42|lua|42"}
    assert states["julia"] == "FAILED" and states["report"] == "SUCCESS"
    report = run_of(done, "report").outputs["value"]
    assert "`julia`" in report and "not installed on this worker" in report, report
    assert done.state.current is StateType.FAILED
