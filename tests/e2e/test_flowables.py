"""Flowable tasks end to end: the real core, processor and worker on each queue backend."""

from __future__ import annotations

from engine_harness import Engine, attempts, labels_of, run_of, runs, task_states

from kestra_stream.models import StateType


def test_sequential_runs_in_order_with_outputs_and_worker_ids(engine: Engine) -> None:
    execution_id = engine.run("sequential")
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert [run.task_id for run in done.task_runs()] == ["a", "b", "c", "c1"]
    assert run_of(done, "c1").outputs == {"value": f"a-{execution_id}-b-c1"}
    attempt = attempts(run_of(done, "a"))[0]
    assert attempt.worker_id == engine.server.instance_id
    assert [entry.state for entry in attempt.state.histories] == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]
    assert engine.history(execution_id)[-1] is StateType.SUCCESS


def test_parallel_with_concurrent_limit(engine: Engine) -> None:
    done = engine.wait_done(engine.run("parallel"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    sleeps = sorted((run_of(done, t) for t in ("p1", "p2", "p3")), key=lambda r: r.state.start_date)
    # concurrent: 2 — the third starts only after one of the first two ended
    first_end = min(run.state.end_date for run in sleeps[:2] if run.state.end_date)
    assert sleeps[2].state.start_date >= first_end
    assert sleeps[0].state.end_date is not None
    assert sleeps[1].state.start_date < sleeps[0].state.end_date  # the first two overlapped
    assert run_of(done, "after").state.start_date >= max(r.state.end_date for r in sleeps if r.state.end_date)


def test_if_and_switch_pick_their_branch(engine: Engine) -> None:
    big = engine.run("branches", inputs={"n": 2})
    small = engine.run("branches", inputs={"n": 0})
    done = engine.wait_done(big)
    assert [run.task_id for run in done.task_runs()] == ["check", "big", "sw", "two"]
    assert run_of(done, "check").outputs == {"evaluationResult": True}
    assert run_of(done, "sw").outputs == {"value": "2", "defaults": False}
    other = engine.wait_done(small)
    assert [run.task_id for run in other.task_runs()] == ["check", "small", "sw", "other"]
    assert other.state.current is StateType.SUCCESS


def test_foreach_values_nesting_and_outputs_by_value(engine: Engine) -> None:
    done = engine.wait_done(engine.run("foreach"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert run_of(done, "read").outputs == {"value": "s1/a a/0"}
    values = sorted((run.outputs or {})["value"] for run in runs(done)["ret"])
    assert values == ["s1/a a/0", 's1/{"k":1}/1', "s2/a a/0", 's2/{"k":1}/1']


def test_foreach_concurrency_limit_one_runs_iterations_one_after_another(engine: Engine) -> None:
    done = engine.wait_done(engine.run("foreach_limit"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    order = [f"{run.task_id}{run.value}" for run in done.task_runs() if run.task_id != "each"]
    assert order == ["x1", "y1", "x2", "y2", "x3", "y3"]
    ys = runs(done)["y"]
    xs = runs(done)["x"]
    for previous, following in zip(ys, xs[1:], strict=False):
        assert previous.state.end_date is not None and following.state.start_date >= previous.state.end_date


def test_foreach_item_runs_one_child_per_batch_and_merges(engine: Engine) -> None:
    execution_id = engine.run("foreach_item")
    done = engine.wait_done(execution_id, timeout=90)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert run_of(done, "each_items").outputs == {"numberOfBatches": 3, "iterations": {"SUCCESS": 3}}
    assert run_of(done, "after").outputs == {"value": "3"}
    children = [e for e in engine.executions_of("foreach_item_child") if e.parent_id == execution_id]
    assert sorted(int((child.outputs or {})["index"]) for child in children) == [0, 1, 2]
    assert all(child.state.current is StateType.SUCCESS for child in children)
    assert "subflowOutputs" in (run_of(done, "each_merge").outputs or {})


def test_subflow_waits_and_reads_child_outputs(engine: Engine) -> None:
    execution_id = engine.run("subflow")
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    call = run_of(done, "call")
    assert call.outputs is not None
    assert call.outputs["outputs"] == {"greeting": "hello subflow"}
    assert call.outputs["state"] == "SUCCESS"
    assert run_of(done, "after").outputs == {"value": "hello subflow"}
    child = engine.wait_done(call.outputs["executionId"])
    assert child.parent_id == execution_id
    assert labels_of(child)["system.correlationId"] == execution_id
    assert child.state.end_date is not None and call.state.end_date is not None
    assert call.state.end_date >= child.state.end_date


def test_subflow_transmit_failed_allow_failure_and_missing_flow(engine: Engine) -> None:
    done = engine.wait_done(engine.run("subflow_failures"))
    assert task_states(done) == {"strict": "WARNING", "lenient": "SUCCESS", "missing": "FAILED"}
    assert done.state.current is StateType.FAILED
    strict_child = engine.wait_done((run_of(done, "strict").outputs or {})["executionId"])
    assert strict_child.state.current is StateType.FAILED


def test_dag_respects_dependencies(engine: Engine) -> None:
    done = engine.wait_done(engine.run("dag"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert [run.task_id for run in done.task_runs()] == ["dag", "a", "b", "c"]
    assert run_of(done, "c").outputs == {"value": "aabc"}


def test_allow_failure_allow_warning_and_the_allow_failure_flowable(engine: Engine) -> None:
    done = engine.wait_done(engine.run("tolerance"))
    assert task_states(done) == {
        "tolerated": "WARNING",
        "group": "WARNING",
        "inner": "FAILED",
        "warned": "SUCCESS",
        "last": "SUCCESS",
    }
    assert attempts(run_of(done, "tolerated"))[-1].state.current is StateType.FAILED
    assert [a.state.current for a in attempts(run_of(done, "warned"))] == [
        StateType.FAILED,
        StateType.SUCCESS,
    ]
    assert done.state.current is StateType.WARNING


def test_working_directory_runs_its_children_in_one_job(engine: Engine) -> None:
    done = engine.wait_done(engine.run("working_directory"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    wd = run_of(done, "wd")
    assert attempts(wd) and attempts(wd)[-1].worker_id == engine.server.instance_id
    children = [run for run in done.task_runs() if run.parent_task_run_id == wd.id]
    assert [run.task_id for run in children] == ["first", "second", "third"]
    assert all(run.state.current is StateType.SUCCESS for run in children), task_states(done)
    assert {attempts(run)[-1].worker_id for run in children} == {engine.server.instance_id}
    content = "written-by-first from-input"
    assert (run_of(done, "second").outputs or {})["vars"] == {"content": content}
    assert run_of(done, "third").outputs == {"value": content}
    files = (wd.outputs or {})["outputFiles"]
    assert sorted(files) == ["input.txt", "shared.txt"]
    assert all(uri.startswith("kestra:///") for uri in files.values())
    assert (run_of(done, "after").outputs or {})["vars"] == {"stored": content}  # read from storage


def test_loop_until_iterates_until_its_condition(engine: Engine) -> None:
    done = engine.wait_done(engine.run("loop_until"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert len(runs(done)["ret"]) == 3
    assert run_of(done, "loop").outputs == {"iterationCount": 3}
