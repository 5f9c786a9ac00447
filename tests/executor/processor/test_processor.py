"""The stream processor with a scripted handler, on MemoryQueue and on the real Kafka."""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson
import pytest
from processor_helpers import (
    EXECUTIONS,
    LOGS,
    RESULTS,
    ScriptedHandler,
    all_records,
    latest_states,
    make_processor,
    new_execution,
    result,
    running,
)
from queue_backends import PARTITIONS, MakeQueue

from kestra_stream.executor.processor import ExecutorProcessor
from kestra_stream.models.state import StateType
from kestra_stream.queue import Queue, TransactionAbortedError


def send(queue: Queue, *messages: object) -> None:
    producer = queue.producer()
    for message in messages:
        topic = RESULTS if message.__class__.__name__ == "WorkerTaskResult" else EXECUTIONS
        producer.produce(topic, key=message.execution_id.encode(), value=message.to_json())  # type: ignore[attr-defined]
    assert producer.flush(10) == 0


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    assert check()


def group_name(make_queue: MakeQueue) -> str:
    return f"executor-{time.monotonic_ns()}"


def test_events_become_states_and_commands(make_queue: MakeQueue) -> None:
    queue = make_queue()
    handler = ScriptedHandler()
    with running(make_processor(queue, handler, "a", group_name(make_queue))):
        send(queue, new_execution("e1"), new_execution("e2"))
        eventually(
            lambda: latest_states(queue, PARTITIONS) == {"e1": StateType.RUNNING, "e2": StateType.RUNNING}
        )
        send(queue, result("e1"), result("e2", StateType.FAILED))
        eventually(
            lambda: latest_states(queue, PARTITIONS) == {"e1": StateType.SUCCESS, "e2": StateType.FAILED}
        )
    logs = [orjson.loads(r.value or b"")["message"] for r in all_records(queue, LOGS, PARTITIONS)]
    assert sorted(logs) == ["started e1", "started e2"]


class Crash(BaseException):
    """The process dies: nothing after this line runs."""


def test_crash_mid_batch_duplicates_nothing_after_restart(
    make_queue: MakeQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = make_queue()
    group = group_name(make_queue)
    send(queue, *(new_execution(f"e{i}") for i in range(20)))
    crashing = make_processor(queue, ScriptedHandler(), "same-instance", group)
    crashing.start()
    consumer = crashing._consumer
    assert consumer is not None
    original_commit = consumer.commit

    def die_inside_transaction(outputs: list[object]) -> None:
        if hasattr(consumer, "_commit_transaction"):  # Kafka: outputs produced, the commit never happens

            def crash(*_: object) -> None:
                raise Crash

            monkeypatch.setattr(consumer, "_commit_transaction", crash)
            original_commit(outputs)  # type: ignore[arg-type]
        raise Crash

    monkeypatch.setattr(consumer, "commit", die_inside_transaction)
    with pytest.raises(Crash):
        while True:
            crashing.step()
    consumer_to_drop = crashing._consumer
    assert consumer_to_drop is not None
    # the dead process's consumer leaves the group without committing (session end)
    type(consumer_to_drop).close(consumer_to_drop)

    # the restarted instance (same transactional id: it fences the dead one's open transaction)
    restarted = make_processor(make_queue(), ScriptedHandler(), "same-instance", group)
    with running(restarted):
        eventually(lambda: len(latest_states(queue, PARTITIONS)) == 20)
        time.sleep(0.5)
    logs = [orjson.loads(r.value or b"")["message"] for r in all_records(queue, LOGS, PARTITIONS)]
    assert sorted(logs) == sorted(f"started e{i}" for i in range(20))
    states = [r for r in all_records(queue, EXECUTIONS.__class__("execution-states"), PARTITIONS)]
    assert len(states) == 20


def test_state_is_restored_from_the_changelog_on_assignment(make_queue: MakeQueue) -> None:
    queue = make_queue()
    group = group_name(make_queue)
    with running(make_processor(queue, ScriptedHandler(), "first", group)):
        send(queue, new_execution("r1"), new_execution("r2"))
        eventually(lambda: len(latest_states(queue, PARTITIONS)) == 2)
    handler = ScriptedHandler()
    second = make_processor(make_queue(), handler, "second", group)
    with running(second):
        eventually(lambda: second.store.get("r1") is not None and second.store.get("r2") is not None)
        send(queue, result("r1"))
        eventually(lambda: latest_states(queue, PARTITIONS)["r1"] is StateType.SUCCESS)
    assert ("WorkerTaskResult", True) in handler.seen


def test_revoked_partitions_drop_their_state(make_queue: MakeQueue) -> None:
    queue = make_queue()
    group = group_name(make_queue)
    ids = [f"x{i}" for i in range(12)]
    with running(make_processor(queue, ScriptedHandler(), "one", group)) as one:
        send(queue, *(new_execution(i) for i in ids))
        eventually(lambda: len(one.store) == 12)
        with running(make_processor(make_queue(), ScriptedHandler(), "two", group)) as two:
            eventually(
                lambda: bool(two.assignment()) and len(one.assignment()) + len(two.assignment()) == PARTITIONS
            )
            eventually(lambda: len(one.store) + len(two.store) == 12)
            assert set(dict(one.store.states())).isdisjoint(dict(two.store.states()))


def test_poison_record_is_skipped_and_fails_its_execution(make_queue: MakeQueue) -> None:
    queue = make_queue()
    with running(make_processor(queue, ScriptedHandler(), "p", group_name(make_queue))) as processor:
        send(queue, new_execution("victim"))
        eventually(lambda: processor.store.get("victim") is not None)
        queue.producer().produce(EXECUTIONS, key=b"victim", value=b"{not json")
        queue.producer().produce(EXECUTIONS, key=b"stranger", value=b"\x00\x01")
        send(queue, new_execution("after"))
        queue.producer().flush(10)
        eventually(
            lambda: (
                latest_states(queue, PARTITIONS) == {"victim": StateType.FAILED, "after": StateType.RUNNING}
            )
        )


def test_core_exception_fails_only_that_execution(make_queue: MakeQueue) -> None:
    queue = make_queue()
    with running(make_processor(queue, ScriptedHandler(), "c", group_name(make_queue))):
        send(queue, new_execution("bad", explode=True), new_execution("good"))
        eventually(
            lambda: latest_states(queue, PARTITIONS) == {"bad": StateType.FAILED, "good": StateType.RUNNING}
        )


def test_oversized_output_fails_the_execution_not_the_process(make_queue: MakeQueue) -> None:
    queue = make_queue()
    with running(make_processor(queue, ScriptedHandler(), "s", group_name(make_queue))):
        send(queue, new_execution("huge", big=queue.message_limit + 10), new_execution("small"))
        eventually(
            lambda: latest_states(queue, PARTITIONS) == {"huge": StateType.FAILED, "small": StateType.RUNNING}
        )
    messages = [orjson.loads(r.value or b"")["message"] for r in all_records(queue, LOGS, PARTITIONS)]
    assert any("message-protection.limit" in message for message in messages)


def test_timers_fire_through_the_transactional_path(make_queue: MakeQueue) -> None:
    queue = make_queue()
    handler = ScriptedHandler()
    started = time.monotonic()
    with running(make_processor(queue, handler, "t", group_name(make_queue))):
        send(queue, new_execution("later", timer=0.5))
        eventually(lambda: latest_states(queue, PARTITIONS).get("later") is StateType.SUCCESS, timeout=20)
    assert [name for name, _ in handler.seen] == ["NewExecution", "TimerFired"]
    assert time.monotonic() - started >= 0.5


def test_worker_died_is_injected_for_executions_running_on_that_worker(make_queue: MakeQueue) -> None:
    queue = make_queue()
    handler = ScriptedHandler()
    processor: ExecutorProcessor = make_processor(queue, handler, "l", group_name(make_queue))
    with running(processor):
        processor.report_dead_workers(["nobody"])
        time.sleep(0.3)
    assert not any(name == "WorkerDied" for name, _ in handler.seen)


def test_aborted_transaction_rewinds_the_batch(
    make_queue: MakeQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = make_queue()
    group = group_name(make_queue)
    processor = make_processor(queue, ScriptedHandler(), "ab", group)
    processor.start()
    consumer = processor._consumer
    assert consumer is not None
    original = consumer.commit
    calls = {"n": 0}

    def flaky(outputs: list[object]) -> None:
        calls["n"] += 1
        if calls["n"] == 1 and outputs:
            consumer.abort()  # type: ignore[attr-defined]
            raise TransactionAbortedError("injected")
        original(outputs)  # type: ignore[arg-type]

    monkeypatch.setattr(consumer, "commit", flaky)
    send(queue, new_execution("again"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and latest_states(queue, PARTITIONS).get("again") is None:
        processor.step()
    processor.close()
    assert latest_states(queue, PARTITIONS) == {"again": StateType.RUNNING}
    assert len(all_records(queue, LOGS, PARTITIONS)) == 1
