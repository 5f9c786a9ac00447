"""Core task types of issue 10 end to end (Loop, Assert, ...), on each queue backend."""

from __future__ import annotations

from typing import Any

from engine_harness import Engine, labels_of, run_of, runs, task_states

from kestra_stream.executor.messages import RestartExecution
from kestra_stream.kv import StorageKVStore
from kestra_stream.models import StateType
from kestra_stream.storage import LocalStorage


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


def test_assert_counts_failed_conditions_and_appends_the_error_message(engine: Engine) -> None:
    execution_id = engine.run("core_assert", inputs={"param": "ok"})
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.FAILED, task_states(done)
    assert run_of(done, "assert_ok").state.current is StateType.SUCCESS
    assert run_of(done, "assert_ko").state.current is StateType.FAILED
    errors = [entry.message for entry in engine.logs_of(execution_id) if entry.level.value == "ERROR"]
    assert "Assertion `{{ 1 + 1 == 3 }}` failed!" in errors
    assert "Assertion `{{ 'x' == 'y' }}` failed!" in errors
    assert "2 assertions failed!\nextra ok" in errors


def test_reverse_filter_and_deduplicate_items_as_kestra(engine: Engine) -> None:
    done = engine.wait_done(engine.run("core_items"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    # recorded from Kestra 1.3.31 (../shared/kestra-reference/run.sh): same files and counters
    assert run_of(done, "contents").outputs == {
        "value": '{id:3,name:"a",price:30}\n{id:2,name:"b",price:20}\n{id:1,name:"a",price:10}\n'
        '|{id:2,name:"b",price:20}\n{id:3,name:"a",price:30}\n'
        '|{id:2,name:"b",price:20}\n'
        '|{id:2,name:"b",price:20}\n{id:3,name:"a",price:30}\n'
    }
    filtered = run_of(done, "filter").outputs or {}
    assert (filtered["processedItemsTotal"], filtered["droppedItemsTotal"]) == (3, 1)
    dedup = run_of(done, "dedup").outputs or {}
    assert (dedup["numKeys"], dedup["processedItemsTotal"], dedup["droppedItemsTotal"]) == (2, 3, 1)
    assert str((run_of(done, "reverse").outputs or {})["uri"]).endswith(".ion")


def test_namespace_upload_download_delete_and_purge_files(engine: Engine) -> None:
    done = engine.wait_done(engine.run("core_namespace_files"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert run_of(done, "upload").outputs is None  # Kestra 1.3.31 returns no outputs either
    listed = sorted((run_of(done, "download").outputs or {})["files"])
    assert listed[0] == "/scripts/listed/" + listed[0].rsplit("/", 1)[-1]
    assert listed[1] == "/scripts/main.py"
    assert str((run_of(done, "read_downloaded").outputs or {})["value"]).endswith("print('hello')")
    assert sorted((run_of(done, "after_delete").outputs or {})["files"]) == ["/other/keep.txt"]
    assert (run_of(done, "purge").outputs or {}) == {"size": 1}
    assert (run_of(done, "after_purge").outputs or {}) == {"files": {}}


def test_purge_current_execution_files_and_purge_kv(engine: Engine) -> None:
    execution_id = engine.run("core_purge_storage_kv")
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert any("/write/" in uri for uri in (run_of(done, "purge_files").outputs or {})["uris"])
    assert run_of(done, "exists").outputs == {"value": "false"}
    assert run_of(done, "purge_expired").outputs == {"size": 1}  # the child namespace's expired key
    assert run_of(done, "purge_tmp").outputs == {"size": 1}
    keys = (run_of(done, "keys").outputs or {}).get("keys", [])
    assert f"keep_{execution_id}" in keys
    assert f"tmp_{execution_id}" not in keys


def test_kill_task_kills_the_running_execution(engine: Engine) -> None:
    done = engine.wait_done(engine.run("core_kill", inputs={"shouldKill": True}))
    assert done.state.current is StateType.KILLED, task_states(done)
    assert run_of(done, "kill").state.current is StateType.KILLED
    assert run_of(done, "long").state.current is StateType.KILLED
    assert "after" not in task_states(done)


def test_task_retry_create_new_execution_runs_the_flow_again_as_kestra(engine: Engine) -> None:
    first_id = engine.run("core_retry_new_execution")
    first = engine.wait_done(first_id)
    # recorded from Kestra 1.3.31: RETRIED, RETRIED, FAILED; each run from the start (attemptNumber
    # 1, 2, 3), the failed task RETRIED in the retried ones, `system.replay: true` on the new ones
    assert first.state.current is StateType.RETRIED, task_states(first)
    assert task_states(first) == {"before": "SUCCESS", "fail": "RETRIED"}

    def chain() -> list[Any] | None:
        found = [
            e for e in engine.executions_of("core_retry_new_execution") if (e.original_id or e.id) == first_id
        ]
        return found if len(found) == 3 and all(e.state.current.is_terminated() for e in found) else None

    executions = sorted(engine.wait_for(chain), key=lambda e: e.metadata.attempt_number if e.metadata else 1)
    assert [e.state.current for e in executions] == [StateType.RETRIED, StateType.RETRIED, StateType.FAILED]
    assert [e.metadata.attempt_number if e.metadata else 1 for e in executions] == [1, 2, 3]
    last = executions[-1]
    assert task_states(last) == {"before": "SUCCESS", "fail": "FAILED"}
    assert run_of(last, "before").outputs == {"value": last.id}
    assert labels_of(last)["system.replay"] == "true"


def _flag_and_restart(engine: Engine, parent_id: str) -> Any:
    """Set the KV flag the failing child waits for, restart the parent, return it once SUCCESS."""
    StorageKVStore(storage=LocalStorage(base_path=engine.storage_path)).set("e2e", f"flag_{parent_id}", True)
    engine.send(RestartExecution(execution_id=parent_id))

    def restarted() -> Any:
        latest = engine.execution(parent_id)
        return latest if latest is not None and latest.state.current is StateType.SUCCESS else None

    return engine.wait_for(restarted, what="the restarted parent")


def test_subflow_restart_behavior_retry_failed_restarts_the_failed_child(engine: Engine) -> None:
    parent_id = engine.run("core_restart_parent")
    failed = engine.wait_done(parent_id)
    assert failed.state.current is StateType.FAILED, task_states(failed)
    child_id = str((run_of(failed, "call").outputs or {})["executionId"])
    assert engine.wait_done(child_id).state.current is StateType.FAILED
    # the child succeeds once the flag exists; restarting the parent restarts that same child
    done = _flag_and_restart(engine, parent_id)
    assert (run_of(done, "call").outputs or {})["executionId"] == child_id
    child = engine.wait_done(child_id)
    assert child.state.current is StateType.SUCCESS
    assert StateType.RESTARTED in [history.state for history in child.state.histories]
    assert len(run_of(child, "first").attempts or ()) == 1  # in place: only the failed task ran again
    renewed = str((run_of(done, "renewed").outputs or {})["executionId"])
    assert renewed != child_id  # NEW_EXECUTION: a new child


def test_flow_trigger_stop_after_and_allow_concurrent_are_warned_about_as_not_applied(engine: Engine) -> None:
    # Kestra 1.3.31 ignores both on a Flow trigger (reference engine: 3 upstream runs, 3 overlapping
    # downstream executions despite stopAfter: [SUCCESS]); kestra-stream does the same and says so.
    for _ in range(2):
        engine.wait_done(engine.run("core_flow_trigger_upstream"))

    def downstream() -> list[Any] | None:
        found = [
            e for e in engine.executions_of("core_flow_trigger_downstream") if e.state.current.is_terminated()
        ]
        return found if len(found) >= 2 else None

    executions = engine.wait_for(downstream, what="two downstream executions")
    assert all(e.state.current is StateType.SUCCESS for e in executions)
    warnings = [entry.message for entry in engine.logs_of(executions[0].id) if entry.level.value == "WARN"]
    assert any("stopAfter and allowConcurrent do not apply to Flow triggers" in text for text in warnings)


def test_foreach_item_restart_behavior_retry_failed_restarts_only_the_failed_batches(engine: Engine) -> None:
    parent_id = engine.run("core_restart_batches")
    failed = engine.wait_done(parent_id)
    assert failed.state.current is StateType.FAILED, task_states(failed)

    def children() -> list[Any] | None:
        found = [e for e in engine.executions_of("core_restart_batch_child") if e.parent_id == parent_id]
        return found if len(found) == 3 and all(e.state.current.is_terminated() for e in found) else None

    first = {e.id: e.state.current for e in engine.wait_for(children, what="three batch executions")}
    assert sorted(state.value for state in first.values()) == ["FAILED", "SUCCESS", "SUCCESS"]
    done = _flag_and_restart(engine, parent_id)
    assert (run_of(done, "each_items").outputs or {})["iterations"] == {"SUCCESS": 3}
    after = {e.id: e for e in engine.wait_for(children, what="the same three batch executions")}
    assert set(after) == set(first)  # no new execution: the failed batch's one was restarted in place
    for execution_id, state in first.items():
        histories = [history.state for history in after[execution_id].state.histories]
        assert (StateType.RESTARTED in histories) == (state is StateType.FAILED)
        assert after[execution_id].state.current is StateType.SUCCESS


def test_loop_over_an_ion_file_iterates_once_per_line(engine: Engine) -> None:
    done = engine.wait_done(engine.run("loop_file"))
    assert done.state.current is StateType.SUCCESS, task_states(done)
    values = sorted((run.outputs or {})["value"] for run in runs(done)["ret"])
    assert values == ["0=first", '1={"name":"second"}', "2=3"]
    assert (run_of(done, "loop").outputs or {})["iterationCount"] == 3
