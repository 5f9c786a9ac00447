"""Flow-keyed processors through the whole shell (executor + concurrency counter + precondition store +
worker), and Flow triggers from the flow cache: on the memory queue and on Kafka."""

from __future__ import annotations

import itertools
from pathlib import Path

from engine_helpers import ended, engine, submit, wait_for
from queue_backends import MakeQueue

from kestra_stream.executor.messages import ResumeExecution
from kestra_stream.models.execution import Execution
from kestra_stream.models.state import StateType
from kestra_stream.queue import Queue, TopicRef


def concurrency_flow(behavior: str) -> str:
    return f"""
id: limited
namespace: keyed
concurrency:
  limit: 1
  behavior: {behavior}
tasks:
  - id: sleep
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.6S
"""


def running_interval(execution: Execution) -> tuple[float, float]:
    started = next(h.date for h in execution.state.histories if h.state is StateType.RUNNING)
    end = execution.state.histories[-1].date
    return started.timestamp(), end.timestamp()


def test_queue_behavior_runs_executions_one_at_a_time(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    with engine(queue, tmp_path, {"limited": concurrency_flow("QUEUE")}):
        ids = [submit(queue, "keyed", "limited") for _ in range(3)]
        found = wait_for(queue, ended(ids), timeout=90)
    runs = [found[key] for key in ids]
    assert [run.state.current for run in runs] == [StateType.SUCCESS] * 3
    queued = [run for run in runs if any(h.state is StateType.QUEUED for h in run.state.histories)]
    assert len(queued) == 2, [run.state.histories for run in runs]
    intervals = sorted(running_interval(run) for run in runs)
    for (_, previous_end), (next_start, _) in itertools.pairwise(intervals):
        assert next_start >= previous_end, intervals


def held_flow(flow_id: str, behavior: str) -> str:
    """Limit 1 held by a Pause: the slot stays taken until the test resumes the holder (a Sleep could
    end between two reads of the changelog on a loaded machine, and the extra execution would run)."""
    return f"""
id: {flow_id}
namespace: keyed
concurrency:
  limit: 1
  behavior: {behavior}
tasks:
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
"""


def resume(queue: Queue, execution_id: str) -> None:
    producer = queue.producer()
    producer.produce(
        TopicRef("executions"),
        key=execution_id.encode(),
        value=ResumeExecution(execution_id=execution_id).to_json(),
    )
    producer.flush(10)


def test_cancel_and_fail_behaviors_end_the_extra_execution(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    flows = {"limited": held_flow("limited", "CANCEL"), "limited_fail": held_flow("limited_fail", "FAIL")}
    with engine(queue, tmp_path, flows):
        first = submit(queue, "keyed", "limited")
        first_fail = submit(queue, "keyed", "limited_fail")
        wait_for(
            queue,
            lambda found: all(
                key in found and found[key].state.current is StateType.PAUSED for key in (first, first_fail)
            ),
        )
        cancelled = submit(queue, "keyed", "limited")
        failed = submit(queue, "keyed", "limited_fail")
        extras = wait_for(queue, ended([cancelled, failed]), timeout=90)
        for holder in (first, first_fail):
            resume(queue, holder)
        found = wait_for(queue, ended([first, first_fail]), timeout=90)
        # the slots were released: a later execution runs again (and pauses: it got the slot)
        again = submit(queue, "keyed", "limited")
        after = wait_for(
            queue, lambda found: again in found and found[again].state.current is StateType.PAUSED, timeout=60
        )
    assert extras[cancelled].state.current is StateType.CANCELLED
    assert extras[failed].state.current is StateType.FAILED
    assert found[first].state.current is StateType.SUCCESS
    assert found[first_fail].state.current is StateType.SUCCESS
    assert after[again].state.current is StateType.PAUSED


UPSTREAM = """
id: upstream
namespace: keyed
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: go
outputs:
  - id: value
    type: STRING
    value: "{{ outputs.ret.value }}"
"""

LISTENER = """
id: listener
namespace: keyed
inputs:
  - id: value
    type: STRING
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.value }}"
triggers:
  - id: on_upstream
    type: io.kestra.plugin.core.trigger.Flow
    states: [SUCCESS]
    inputs:
      value: "{{ trigger.outputs.value }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: keyed
        flowId: upstream
"""


def by_flow(found: dict[str, Execution], flow_id: str) -> list[Execution]:
    return [execution for execution in found.values() if execution.flow_id == flow_id]


def test_flow_trigger_runs_the_listener_after_the_upstream(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    with engine(queue, tmp_path, {"upstream": UPSTREAM, "listener": LISTENER}) as server:
        assert server.flows is not None
        assert [flow.id for flow in server.flows.flows_with_flow_triggers()] == ["listener"]
        assert server.flows.flows_with_flow_triggers("other") == ()
        upstream = submit(queue, "keyed", "upstream")
        found = wait_for(
            queue,
            lambda found: any(e.state.current.is_terminated() for e in by_flow(found, "listener")),
        )
    assert found[upstream].state.current is StateType.SUCCESS
    (listener,) = by_flow(found, "listener")
    assert listener.state.current is StateType.SUCCESS
    assert listener.inputs == {"value": "go"}
    assert listener.trigger is not None and listener.trigger.variables is not None
    assert listener.trigger.variables["executionId"] == upstream
    assert listener.state.start_date >= found[upstream].state.histories[-1].date


PRE_A = """
id: pre_a
namespace: keyed
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: A
outputs:
  - id: a
    type: STRING
    value: "{{ outputs.ret.value }}"
"""

PRE_DOWN = """
id: pre_down
namespace: keyed
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.outputs.a }}{{ trigger.outputs.b }}"
triggers:
  - id: both
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: both
      flows:
        - namespace: keyed
          flowId: pre_a
          states: [SUCCESS]
        - namespace: keyed
          flowId: pre_b
          states: [SUCCESS]
      timeWindow:
        type: SLIDING_WINDOW
        window: PT1H
"""


def test_preconditions_start_the_downstream_once_both_upstreams_succeeded(
    make_queue: MakeQueue, tmp_path: Path
) -> None:
    queue = make_queue()
    pre_b = PRE_A.replace("pre_a", "pre_b").replace("format: A", "format: B").replace("id: a\n", "id: b\n")
    with engine(queue, tmp_path, {"pre_a": PRE_A, "pre_b": pre_b, "pre_down": PRE_DOWN}) as server:
        first = submit(queue, "keyed", "pre_a")
        wait_for(queue, ended([first]))
        _concurrency, preconditions = server.keyed_processors
        # the store recorded pre_a, nothing started yet
        wait_for(queue, lambda _: preconditions.batches > 0, timeout=30)
        assert by_flow(wait_for(queue, ended([first])), "pre_down") == []
        second = submit(queue, "keyed", "pre_b")
        found = wait_for(
            queue,
            lambda found: any(e.state.current.is_terminated() for e in by_flow(found, "pre_down")),
        )
    assert found[second].state.current is StateType.SUCCESS
    (down,) = by_flow(found, "pre_down")
    assert down.state.current is StateType.SUCCESS
    outputs = {run.task_id: run.outputs for run in down.task_runs()}
    assert outputs["ret"] == {"value": "AB"}
