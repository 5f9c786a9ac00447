"""The webserver's view of recent execution states: snapshots kept as bytes, decoded when read or
when someone follows the execution."""

from __future__ import annotations

from kestra_stream.executor.state import ExecutorState
from kestra_stream.models import Execution, State, StateType
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions, TopicRef
from kestra_stream.webserver.followers import ExecutionStates

STATES = TopicRef("execution-states")


def _execution(execution_id: str, state: StateType) -> Execution:
    return Execution(
        id=execution_id, namespace="io.kestra.tests", flow_id="hello", flow_revision=1, state=State.of(state)
    )


def _publish(queue: MemoryQueue, execution_id: str, value: bytes) -> None:
    queue.producer().produce(STATES, key=execution_id.encode(), value=value)


def test_snapshots_are_read_back_and_followed() -> None:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=2))
    states = ExecutionStates(queue=queue)
    states.open()
    followed: list[StateType] = []
    states.subscribe("e2", lambda execution: followed.append(execution.state.current))
    for state in (StateType.CREATED, StateType.RUNNING, StateType.SUCCESS):
        for execution_id in ("e1", "e2"):
            value = ExecutorState(execution=_execution(execution_id, state)).to_bytes()
            _publish(queue, execution_id, value)
    assert states.poll_once(1.0) == 6
    first, second = states.get("e1"), states.get("e1")
    assert first is not None and first.state.current is StateType.SUCCESS
    assert second is first  # decoded once
    assert followed == [StateType.CREATED, StateType.RUNNING, StateType.SUCCESS]
    assert states.get("unknown") is None
    states.close()


def test_an_unreadable_snapshot_is_not_answered() -> None:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=1))
    states = ExecutionStates(queue=queue)
    states.open()
    _publish(queue, "e1", b"not json")
    states.poll_once(1.0)
    assert states.get("e1") is None
    states.close()
