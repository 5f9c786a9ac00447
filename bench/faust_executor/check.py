"""After a run: duplicates on the commands topic (read_committed) and the final per-execution counts
from the changelog. ``python check.py PREFIX EXECUTIONS EVENTS_PER_EXECUTION [changelog topic]``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from workload import BOOTSTRAP, PARTITIONS, topics


def read(topic: str) -> list[tuple[bytes, bytes]]:
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": "check",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    out: list[tuple[bytes, bytes]] = []
    ended: set[int] = set()
    while len(ended) < PARTITIONS:
        message = consumer.poll(2.0)
        if message is None:
            break
        if message.error():
            ended.add(message.partition() or 0)
            continue
        key, value = message.key(), message.value()
        if key is not None and value is not None:
            out.append((key, value))
    consumer.close()
    return out


def main() -> None:
    prefix, executions, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    names = topics(prefix)
    changelog = sys.argv[4] if len(sys.argv) > 4 else names["changelog"]
    commands = Counter(
        (json.loads(v)["executionId"], json.loads(v)["seq"]) for _, v in read(names["commands"])
    )
    duplicated = sum(n - 1 for n in commands.values() if n > 1)
    latest: dict[bytes, dict[str, Any]] = {}
    for key, value in read(changelog):
        latest[key] = json.loads(value)
    counts = Counter(state["count"] for state in latest.values())
    print(
        f"commands: {sum(commands.values())} committed, {len(commands)} distinct of {executions * per} "
        f"expected, {duplicated} duplicates; changelog: {len(latest)} executions, counts {dict(counts)} "
        f"(expected {per} each)"
    )


if __name__ == "__main__":
    main()
