"""Create the topics and produce the events: ``python produce.py PREFIX EXECUTIONS EVENTS_PER_EXECUTION``."""

from __future__ import annotations

import sys

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from workload import BOOTSTRAP, PARTITIONS, event, topics


def main() -> None:
    prefix, executions, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    names = topics(prefix)
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    created = admin.create_topics([NewTopic(name, PARTITIONS, 1) for name in names.values()])
    for future in created.values():
        future.result()
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5, "partitioner": "murmur2_random"})
    for seq in range(per):
        for index in range(executions):
            producer.produce(
                names["events"], key=f"exec{index:05d}".encode(), value=event(f"exec{index:05d}", seq)
            )
            producer.poll(0)
    producer.flush(30)
    print(f"produced {executions * per} events on {names['events']}")


if __name__ == "__main__":
    main()
