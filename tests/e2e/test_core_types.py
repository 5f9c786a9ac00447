"""Core task types of issue 10 end to end (Loop, Assert, ...), on each queue backend."""

from __future__ import annotations

from engine_harness import Engine, run_of, runs, task_states

from kestra_stream.models import StateType


def test_loop_scopes_outputs_per_iteration_and_collects_the_declared_ones(engine: Engine) -> None:
    done = engine.wait_done(engine.run("loop_outputs"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    again = sorted((run.outputs or {})["value"] for run in runs(done)["again"])
    assert again == ["processed alpha 0!", "processed beta 1!", "processed gamma 2!"]
    loop = run_of(done, "loop").outputs or {}
    assert loop["iterationCount"] == 3
    assert loop["terminatedIterations"] == {"SUCCESS": 3}
    assert loop["outputs"] == [
        {"item": {"value": "alpha", "iteration": 1}, "outputs": {"label": "processed alpha 0"}},
        {"item": {"value": "beta", "iteration": 2}, "outputs": {"label": "processed beta 1"}},
        {"item": {"value": "gamma", "iteration": 3}, "outputs": {"label": "processed gamma 2"}},
    ]
    # iteration outputs stay inside the loop: only the declared ones are seen after it
    assert run_of(done, "read_outputs").outputs == {
        "value": '["processed alpha 0","processed beta 1","processed gamma 2"] false'
    }


def test_loop_nested_items_see_their_parents_and_map_keys(engine: Engine) -> None:
    done = engine.wait_done(engine.run("loop_nested"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    names = sorted((run.outputs or {})["value"] for run in runs(done)["name"])
    assert names == ["b1:bucket1_2025", "b1:bucket1_2026", "b2:bucket2_2025", "b2:bucket2_2026"]


def test_loop_break_when_stops_starting_iterations(engine: Engine) -> None:
    done = engine.wait_done(engine.run("loop_break"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert sorted((run.outputs or {})["value"] for run in runs(done)["ret"]) == ["1", "2"]
    assert (run_of(done, "loop").outputs or {})["terminatedIterations"] == {"SUCCESS": 2}


def test_loop_transmit_failed_false_runs_every_iteration_and_succeeds(engine: Engine) -> None:
    done = engine.wait_done(engine.run("loop_failed"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert run_of(done, "loop").state.current is StateType.SUCCESS
    assert sorted((run.outputs or {})["value"] for run in runs(done)["after"]) == ["ok", "ok2"]
    assert run_of(done, "next").outputs == {"value": '{"SUCCESS":2,"FAILED":1}'}
