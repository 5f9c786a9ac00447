"""Cross-execution behaviours end to end: flow concurrency (QUEUE/CANCEL/FAIL), Flow triggers with a
condition, multi-flow preconditions (the flow-keyed processors and the flow cache of the shell)."""

from __future__ import annotations

import time

from engine_harness import Engine, run_of, task_states

from kestra_stream.executor.messages import KillExecution, ResumeExecution
from kestra_stream.models import Execution, StateType


def test_concurrency_queue_runs_the_next_execution_when_a_slot_frees(engine: Engine) -> None:
    first = engine.run("concurrency_queue")
    engine.wait_state(first, StateType.PAUSED)
    second = engine.run("concurrency_queue")
    engine.wait_state(second, StateType.QUEUED)
    engine.send(ResumeExecution(execution_id=first))
    assert engine.wait_done(first).state.current is StateType.SUCCESS
    engine.wait_state(second, StateType.PAUSED)
    engine.send(ResumeExecution(execution_id=second))
    assert engine.wait_done(second).state.current is StateType.SUCCESS
    assert StateType.QUEUED in engine.history(second)


def test_concurrency_cancel_and_fail(engine: Engine) -> None:
    holders = {flow_id: engine.run(flow_id) for flow_id in ("concurrency_cancel", "concurrency_fail")}
    for holder in holders.values():
        engine.wait_state(holder, StateType.PAUSED)
    cancelled = engine.wait_done(engine.run("concurrency_cancel"))
    failed = engine.wait_done(engine.run("concurrency_fail"))
    assert cancelled.state.current is StateType.CANCELLED
    assert failed.state.current is StateType.FAILED
    assert list(cancelled.task_runs()) == [] and list(failed.task_runs()) == []
    for holder in holders.values():
        engine.send(KillExecution(execution_id=holder))
        engine.wait_done(holder)


def _triggered(engine: Engine, flow_id: str, upstream_id: str) -> list[Execution]:
    return [
        execution
        for execution in engine.executions_of(flow_id)
        if execution.trigger is not None
        and (execution.trigger.variables or {}).get("executionId") == upstream_id
    ]


def test_flow_trigger_with_a_condition(engine: Engine) -> None:
    matching = engine.run("trigger_upstream", inputs={"value": "go"})
    ignored = engine.run("trigger_upstream", inputs={"value": "stop"})
    assert engine.wait_done(matching).state.current is StateType.SUCCESS
    assert engine.wait_done(ignored).state.current is StateType.SUCCESS
    (listener,) = engine.wait_for(
        lambda: _triggered(engine, "trigger_listener", matching), what="the listener"
    )
    done = engine.wait_done(listener.id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert run_of(done, "ret").outputs == {"value": "go"}
    time.sleep(1.0)  # the non-matching upstream had every chance to trigger by now
    assert _triggered(engine, "trigger_listener", ignored) == []


def test_multi_flow_preconditions_fire_once_both_upstreams_succeeded(engine: Engine) -> None:
    since = time.time() - 1
    first = engine.run("pre_a")
    assert engine.wait_done(first).state.current is StateType.SUCCESS
    time.sleep(1.0)
    assert engine.executions_of("pre_down", since=since) == []  # one of the two only
    second = engine.run("pre_b")
    assert engine.wait_done(second).state.current is StateType.SUCCESS
    (down,) = engine.wait_for(lambda: engine.executions_of("pre_down", since=since), what="pre_down")
    done = engine.wait_done(down.id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    assert run_of(done, "ret").outputs == {"value": "B"}  # the last upstream's outputs win
