"""One contract for both queue backends (tests/queue/conftest.py parameterises ``make_queue``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from queue_backends import PARTITIONS, MakeQueue

from kestra_stream.queue import (
    CompactedView,
    MessageTooLargeError,
    Outgoing,
    Queue,
    Record,
    TopicRef,
    TransactionalConsumer,
    partition_for,
)

EXECUTIONS = TopicRef("executions")
RESULTS = TopicRef("worker-task-results")
STATES = TopicRef("execution-states")
JOBS = TopicRef("worker-jobs")


def produce_all(queue: Queue, topic: TopicRef, items: list[tuple[bytes, bytes | None]]) -> None:
    producer = queue.producer()
    for key, value in items:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(10) == 0


def poll_until(poll: Callable[[], list[Record]], count: int, timeout: float = 20.0) -> list[Record]:
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        records.extend(poll())
    return records


def read_all(queue: Queue, topic: TopicRef) -> list[Record]:
    return queue.read_partitions(topic, range(PARTITIONS))


def group() -> str:
    return f"g-{uuid.uuid4().hex[:8]}"


def test_keys_land_on_their_murmur2_partition(make_queue: MakeQueue) -> None:
    queue = make_queue()
    keys = [f"exec-{i}".encode() for i in range(20)]
    produce_all(queue, EXECUTIONS, [(key, b"v") for key in keys])
    records = read_all(queue, EXECUTIONS)
    assert sorted(r.key for r in records if r.key) == sorted(keys)
    assert all(r.partition == partition_for(r.key, PARTITIONS) for r in records)


def test_order_is_kept_per_key(make_queue: MakeQueue) -> None:
    queue = make_queue()
    produce_all(queue, EXECUTIONS, [(b"same", str(i).encode()) for i in range(50)])
    assert [r.value for r in read_all(queue, EXECUTIONS)] == [str(i).encode() for i in range(50)]


def test_oversized_message_is_refused_before_sending(make_queue: MakeQueue) -> None:
    queue = make_queue()
    with pytest.raises(MessageTooLargeError):
        queue.producer().produce(EXECUTIONS, key=b"k", value=b"x" * (queue.message_limit + 1))


def _consume_one_batch(consumer: TransactionalConsumer, count: int) -> list[Record]:
    return poll_until(lambda: consumer.poll(500, 0.2), count)


def test_transaction_appends_outputs_and_commits_offsets_atomically(make_queue: MakeQueue) -> None:
    queue = make_queue()
    gid = group()
    produce_all(queue, EXECUTIONS, [(f"e{i}".encode(), b"in") for i in range(10)])
    first = queue.transactional_consumer(
        topics=[EXECUTIONS, RESULTS], group_id=gid, transactional_id=gid + "-1"
    )
    batch = _consume_one_batch(first, 10)
    assert len(batch) == 10
    first.commit([Outgoing(STATES, r.key, b"out") for r in batch])
    first.close()

    outputs = read_all(make_queue(), STATES)
    assert sorted(r.key for r in outputs if r.key) == sorted(r.key for r in batch if r.key)
    # a new member of the group starts after the committed offsets: nothing left to read
    second = queue.transactional_consumer(
        topics=[EXECUTIONS, RESULTS], group_id=gid, transactional_id=gid + "-2"
    )
    assert poll_until(lambda: second.poll(500, 0.2), 1, timeout=5) == []
    second.close()


def test_uncommitted_batch_is_read_again_and_produces_nothing(make_queue: MakeQueue) -> None:
    queue = make_queue()
    gid = group()
    produce_all(queue, EXECUTIONS, [(f"e{i}".encode(), b"in") for i in range(5)])
    crashed = queue.transactional_consumer(
        topics=[EXECUTIONS, RESULTS], group_id=gid, transactional_id=gid + "-1"
    )
    assert len(_consume_one_batch(crashed, 5)) == 5
    crashed.close()  # dies before committing

    again = queue.transactional_consumer(
        topics=[EXECUTIONS, RESULTS], group_id=gid, transactional_id=gid + "-2"
    )
    batch = _consume_one_batch(again, 5)
    assert len(batch) == 5
    again.commit([Outgoing(STATES, r.key, b"out") for r in batch])
    again.close()
    assert len(read_all(queue, STATES)) == 5


def test_co_partitioned_topics_are_assigned_together(make_queue: MakeQueue) -> None:
    queue = make_queue()
    gid = group()
    assigned: dict[str, set[int]] = {"a": set(), "b": set()}

    def tracker(name: str) -> Callable[[frozenset[int]], None]:
        return lambda partitions: assigned[name].update(partitions)

    def forget(name: str) -> Callable[[frozenset[int]], None]:
        return lambda partitions: assigned[name].difference_update(partitions)

    a = queue.transactional_consumer(
        topics=[EXECUTIONS, RESULTS],
        group_id=gid,
        transactional_id=gid + "-a",
        on_assign=tracker("a"),
        on_revoke=forget("a"),
    )
    poll_until(lambda: a.poll(10, 0.2), 1, timeout=3)
    assert assigned["a"] == set(range(PARTITIONS))
    other = make_queue()
    b = other.transactional_consumer(
        topics=[EXECUTIONS, RESULTS],
        group_id=gid,
        transactional_id=gid + "-b",
        on_assign=tracker("b"),
        on_revoke=forget("b"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
        assigned["b"] and len(assigned["a"]) + len(assigned["b"]) == PARTITIONS
    ):
        a.poll(10, 0.1)
        b.poll(10, 0.1)
    assert assigned["a"].isdisjoint(assigned["b"])
    assert assigned["a"] | assigned["b"] == set(range(PARTITIONS))
    # records of both topics for partition p reach the member owning p
    key = next(
        f"k{i}".encode() for i in range(100) if partition_for(f"k{i}".encode(), PARTITIONS) in assigned["b"]
    )
    produce_all(queue, EXECUTIONS, [(key, b"x")])
    produce_all(queue, RESULTS, [(key, b"y")])
    got = poll_until(lambda: b.poll(10, 0.2) + a.poll(10, 0.0), 2)
    assert {r.topic for r in got} == {EXECUTIONS, RESULTS}
    assert all(r.partition in assigned["b"] for r in got)
    a.close()
    b.close()


def test_group_consumer_commits_only_acknowledged_records(make_queue: MakeQueue) -> None:
    queue = make_queue()
    gid = group()
    produce_all(queue, JOBS, [(b"same", str(i).encode()) for i in range(6)])
    first = queue.group_consumer(topic=JOBS, group_id=gid)
    records = poll_until(lambda: first.poll(100, 0.2), 6)
    assert [r.value for r in records] == [str(i).encode() for i in range(6)]
    first.ack(records[0])
    first.ack(records[1])
    first.ack(records[3])  # 2 is still running: 3 must come back too
    first.close()

    second = queue.group_consumer(topic=JOBS, group_id=gid)
    again = poll_until(lambda: second.poll(100, 0.2), 4)
    assert [r.value for r in again] == [b"2", b"3", b"4", b"5"]
    second.close()


def test_group_consumer_pause_stops_delivery_until_resume(make_queue: MakeQueue) -> None:
    queue = make_queue()
    consumer = queue.group_consumer(topic=JOBS, group_id=group())
    poll_until(lambda: consumer.poll(10, 0.2), 1, timeout=3)  # join the group
    consumer.pause()
    produce_all(queue, JOBS, [(b"k", b"v")])
    assert poll_until(lambda: consumer.poll(10, 0.2), 1, timeout=2) == []
    consumer.resume()
    assert [r.value for r in poll_until(lambda: consumer.poll(10, 0.2), 1)] == [b"v"]
    consumer.close()


def test_group_members_share_the_partitions(make_queue: MakeQueue) -> None:
    queue = make_queue()
    gid = group()
    a = queue.group_consumer(topic=JOBS, group_id=gid)
    b = make_queue().group_consumer(topic=JOBS, group_id=gid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (a.assignment() and b.assignment()):
        a.poll(10, 0.1)
        b.poll(10, 0.1)
    assert a.assignment() and b.assignment()
    assert a.assignment().isdisjoint(b.assignment())
    a.close()
    b.close()


def test_broadcast_readers_each_see_every_record(make_queue: MakeQueue) -> None:
    queue = make_queue()
    kills = TopicRef("execution-kills")
    produce_all(queue, kills, [(f"e{i}".encode(), b"old") for i in range(8)])
    from_start = [make_queue().broadcast_reader(topic=kills, start="beginning") for _ in range(2)]
    from_end = make_queue().broadcast_reader(topic=kills, start="end")
    for reader in from_start:
        assert len(poll_until(lambda r=reader: r.poll(100, 0.2), 8)) == 8
    deadline = time.monotonic() + 10
    while not from_end.at_end() and time.monotonic() < deadline:
        from_end.poll(100, 0.1)
    assert from_end.at_end()
    produce_all(queue, kills, [(b"new", b"new")])
    assert [r.value for r in poll_until(lambda: from_end.poll(100, 0.2), 1)] == [b"new"]
    for reader in [*from_start, from_end]:
        reader.close()


def test_compacted_view_keeps_the_latest_value_and_drops_tombstones(make_queue: MakeQueue) -> None:
    queue = make_queue()
    flows = TopicRef("flows")
    produce_all(queue, flows, [(b"a", b"1"), (b"b", b"1"), (b"a", b"2"), (b"b", None)])
    view: CompactedView[bytes] = CompactedView(queue=make_queue(), topic=flows, decode=lambda r: r.value)
    view.catch_up(30)
    assert view.snapshot() == {b"a": b"2"}
    produce_all(queue, flows, [(b"c", b"3")])
    deadline = time.monotonic() + 10
    while view.get(b"c") is None and time.monotonic() < deadline:
        view.update(0.1)
    assert view.get(b"c") == b"3"
    view.close()


def test_read_partitions_reads_committed_records_only(make_queue: MakeQueue) -> None:
    queue = make_queue()
    assert read_all(queue, STATES) == []
    produce_all(queue, STATES, [(b"x", b"1")])
    assert [r.value for r in read_all(queue, STATES)] == [b"1"]
