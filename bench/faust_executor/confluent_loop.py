"""The confluent-kafka design of kestra_stream's executor loop, stripped to the workload: poll a batch
(≤ 500), apply each event to a copy-on-write view of the in-memory store, produce the commands and
one changelog record per changed key, ``send_offsets_to_transaction``, commit; restore the store from
the changelog on assignment. ``python confluent_loop.py PREFIX EXPECTED_EVENTS``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from workload import BOOTSTRAP, apply, topics


def restore(changelog: str, partitions: list[int]) -> dict[str, dict[str, Any]]:
    reader = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": "restore",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    reader.assign([TopicPartition(changelog, p, 0) for p in partitions])
    store: dict[str, dict[str, Any]] = {}
    ended: set[int] = set()
    while len(ended) < len(partitions):
        message = reader.poll(1.0)
        if message is None:
            continue
        if message.error():
            ended.add(message.partition() or 0)
            continue
        key, value = message.key(), message.value()
        if key is not None and value is not None:
            store[key.decode()] = json.loads(value)
    reader.close()
    return store


def main() -> None:
    prefix, expected = sys.argv[1], int(sys.argv[2])
    launched = time.monotonic()
    names = topics(prefix)
    store: dict[str, dict[str, Any]] = {}
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "transactional.id": f"{prefix}executor",
            "linger.ms": 5,
            "partitioner": "murmur2_random",
            "transaction.timeout.ms": 10000,
        }
    )
    producer.init_transactions(30)
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": f"{prefix}executor",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 10,
            "partition.assignment.strategy": "range",
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 2000,
        }
    )

    def assigned(c: Consumer, partitions: list[TopicPartition]) -> None:
        started = time.monotonic()
        store.update(restore(names["changelog"], [tp.partition for tp in partitions]))
        print(f"restored {len(store)} keys in {time.monotonic() - started:.2f}s", flush=True)

    consumer.subscribe([names["events"]], on_assign=assigned)
    handled = 0
    first: float | None = None
    last = time.monotonic()
    while True:
        message = consumer.poll(0.05)
        if message is None:
            if first is not None and time.monotonic() - last > 5:
                break
            continue
        messages = [message, *consumer.consume(499, 0)]
        if first is None:
            first = time.monotonic()
            print(f"first batch {first - launched:.2f}s after start", flush=True)
        producer.begin_transaction()
        view: dict[str, dict[str, Any]] = {}
        for m in messages:
            if m.error():
                continue
            raw_key, value = m.key(), m.value()
            if raw_key is None or value is None:
                continue
            key = raw_key.decode()
            state, command = apply(view.get(key, store.get(key)), value)
            if command is not None:
                view[key] = state
                producer.produce(names["commands"], key=raw_key, value=command)
        for key, state in view.items():
            producer.produce(names["changelog"], key=key.encode(), value=json.dumps(state).encode())
        producer.send_offsets_to_transaction(
            consumer.position(consumer.assignment()), consumer.consumer_group_metadata()
        )
        producer.commit_transaction()
        store.update(view)
        handled += len(messages)
        last = time.monotonic()
        if handled >= expected and "--stay" not in sys.argv:
            break
    elapsed = last - first if first is not None else float("nan")
    print(f"confluent: {handled} events in {elapsed:.2f}s -> {handled / elapsed:.0f} events/s", flush=True)


if __name__ == "__main__":
    main()
