"""Proof tests on the real single-node Kafka: transactions, co-partitioning, murmur2 partitioner."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from .helpers import create_topics, wait_for

pytestmark = pytest.mark.kafka


def consume_all(bootstrap: str, topic: str, isolation: str, expected: int, timeout: float = 30) -> list[str]:
    """Read a topic from the start (no group) until `expected` records or the end after `timeout`."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{topic}-{isolation}",
            "isolation.level": isolation,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 50,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        values: list[str] = []
        deadline = time.monotonic() + timeout
        idle_since = time.monotonic()
        while time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is None:
                # all expected seen and nothing more arrives for 1 s: done
                if len(values) >= expected and time.monotonic() - idle_since > 1.0:
                    break
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise AssertionError(msg.error())
            idle_since = time.monotonic()
            values.append(msg.value().decode())
        return values
    finally:
        consumer.close()


def test_transaction_commit_visible_abort_invisible(
    kafka_bootstrap: str, unique_name: str, kafka_topics: list[str]
) -> None:
    topic = unique_name
    kafka_topics.append(topic)
    create_topics(kafka_bootstrap, [topic], partitions=1)

    producer = Producer(
        {"bootstrap.servers": kafka_bootstrap, "transactional.id": f"tx-{unique_name}", "linger.ms": 2}
    )
    producer.init_transactions(30)

    producer.begin_transaction()
    for i in range(3):
        producer.produce(topic, key=b"k", value=f"committed-{i}".encode())
    producer.commit_transaction(30)

    producer.begin_transaction()
    for i in range(3):
        producer.produce(topic, key=b"k", value=f"aborted-{i}".encode())
    producer.flush(30)  # the aborted records really reach the log before the abort
    producer.abort_transaction(30)

    producer.begin_transaction()
    producer.produce(topic, key=b"k", value=b"committed-after-abort")
    producer.commit_transaction(30)

    committed = consume_all(kafka_bootstrap, topic, "read_committed", expected=4)
    assert committed == ["committed-0", "committed-1", "committed-2", "committed-after-abort"]

    uncommitted = consume_all(kafka_bootstrap, topic, "read_uncommitted", expected=7)
    assert sorted(uncommitted) == sorted(committed + [f"aborted-{i}" for i in range(3)])


def java_murmur2_partition(key: bytes, partitions: int) -> int:
    """Java client's default partitioner: toPositive(murmur2(key)) % partitions."""
    m, r, length = 0x5BD1E995, 24, len(key)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(key[i : i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length % 4
    base = length - tail
    if tail == 3:
        h ^= key[base + 2] << 16
    if tail >= 2:
        h ^= key[base + 1] << 8
    if tail >= 1:
        h ^= key[base]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return (h & 0x7FFFFFFF) % partitions


def test_copartitioned_topics_range_assignor(
    kafka_bootstrap: str, unique_name: str, kafka_topics: list[str]
) -> None:
    partitions = 4
    topic_a, topic_b = f"{unique_name}-a", f"{unique_name}-b"
    kafka_topics += [topic_a, topic_b]
    create_topics(kafka_bootstrap, [topic_a, topic_b], partitions=partitions)

    def make_consumer() -> Any:
        c = Consumer(
            {
                "bootstrap.servers": kafka_bootstrap,
                "group.id": f"group-{unique_name}",
                "group.protocol": "classic",
                "partition.assignment.strategy": "range",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "session.timeout.ms": 10000,
                "heartbeat.interval.ms": 500,
                "fetch.wait.max.ms": 50,
            }
        )
        c.subscribe([topic_a, topic_b])
        return c

    consumers = [make_consumer(), make_consumer()]
    seen: list[dict[str, set[str]]] = [{}, {}]  # consumer -> topic -> keys received

    def poll_all() -> None:
        for index, consumer in enumerate(consumers):
            for msg in consumer.consume(num_messages=200, timeout=0.2):
                assert not msg.error(), msg.error()
                seen[index].setdefault(msg.topic(), set()).add(msg.key().decode())

    try:
        # 1. the group settles: range gives partition p of both topics to the same member
        def balanced() -> bool:
            poll_all()
            assignments = [c.assignment() for c in consumers]
            return all(assignments) and sum(len(a) for a in assignments) == 2 * partitions

        wait_for(balanced, 60, "both consumers to get their share of the 8 partitions")
        assignments = [{(tp.topic, tp.partition) for tp in c.assignment()} for c in consumers]
        for assigned in assignments:
            numbers_a = {p for t, p in assigned if t == topic_a}
            numbers_b = {p for t, p in assigned if t == topic_b}
            assert numbers_a == numbers_b, f"partition numbers differ between topics: {assigned}"
            assert numbers_a, "a consumer got nothing"

        # 2. same key -> same partition number on both topics, the one the Java client picks
        placed: dict[tuple[str, str], int] = {}

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            assert err is None, err
            placed[(msg.topic(), msg.key().decode())] = msg.partition()

        producer = Producer(
            {
                "bootstrap.servers": kafka_bootstrap,
                "partitioner": "murmur2_random",
                "linger.ms": 2,
                "acks": "all",
            }
        )
        keys = [f"execution-{i}" for i in range(60)]
        for key in keys:
            for topic in (topic_a, topic_b):
                producer.produce(
                    topic, key=key.encode(), value=f"{topic}:{key}".encode(), on_delivery=on_delivery
                )
        assert producer.flush(30) == 0
        for key in keys:
            java = java_murmur2_partition(key.encode(), partitions)
            assert placed[(topic_a, key)] == placed[(topic_b, key)] == java
        assert len({placed[(topic_a, k)] for k in keys}) == partitions  # the keys spread over all partitions

        # 3. every key is delivered to one and the same consumer on both topics
        def drained() -> bool:
            poll_all()
            return all(sum(len(s.get(t, set())) for s in seen) == len(keys) for t in (topic_a, topic_b))

        wait_for(drained, 30, "all records")
        assert [c.assignment() for c in consumers] and [
            {(tp.topic, tp.partition) for tp in c.assignment()} for c in consumers
        ] == assignments, "the group rebalanced during the test"
        for index in range(2):
            assert seen[index].get(topic_a), f"consumer {index} received nothing"
            assert seen[index].get(topic_a) == seen[index].get(topic_b)
    finally:
        for consumer in consumers:
            consumer.close()
