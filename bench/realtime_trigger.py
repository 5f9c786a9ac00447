"""Realtime trigger throughput: records/s from produce to NewExecution on the ``executions`` topic.

    .venv/bin/python bench/realtime_trigger.py [--bootstrap 127.0.0.1:9092] [--records 20000]

Fresh topics (unique prefix, deleted at the end); one scheduler instance on Kafka running one
``io.kestra.plugin.kafka.RealtimeTrigger`` flow; records produced as fast as the client allows.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kestra_stream.executor.messages import NewExecution, execution_message_from_json
from kestra_stream.queue import KafkaQueue, KafkaQueueOptions, TopicRef
from kestra_stream.scheduler.service import Scheduler, SchedulerOptions
from tests.queue.queue_backends import create_topics, delete_topics, kafka_config
from tests.scheduler.shell import publish

FLOW = """
id: bench
namespace: bench
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.value }}}}"
triggers:
  - id: listen
    type: io.kestra.plugin.kafka.RealtimeTrigger
    properties:
      bootstrap.servers: {bootstrap}
    topic: {topic}
    groupId: {group}
    valueDeserializer: JSON
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    user_topic = f"{prefix}events"
    config = kafka_config(args.bootstrap, prefix)
    create_topics(config)
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    admin.create_topics([NewTopic(user_topic, num_partitions=args.partitions, replication_factor=1)])[
        user_topic
    ].result(30)
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    stop = threading.Event()
    try:
        publish(
            queue,
            FLOW.format(bootstrap=args.bootstrap, topic=user_topic, group=f"{prefix}g"),
            flow_id="bench",
        )
        scheduler = Scheduler(queue=queue, options=SchedulerOptions(instance_id="bench"))
        thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
        thread.start()
        scheduler.ready.wait(60)
        time.sleep(3)  # the listener's consumer joins its group
        reader = queue.broadcast_reader(topic=TopicRef("executions"), start="beginning")
        producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
        started = time.perf_counter()
        for index in range(args.records):
            while True:
                try:
                    producer.produce(user_topic, value=b'{"n": %d}' % index)
                    break
                except BufferError:
                    producer.poll(0.01)
        producer.flush(60)
        produced = time.perf_counter() - started
        seen = 0
        deadline = time.monotonic() + 300
        while seen < args.records and time.monotonic() < deadline:
            for record in reader.poll(10000, 0.2):
                if isinstance(execution_message_from_json(record.value or b""), NewExecution):
                    seen += 1
        elapsed = time.perf_counter() - started
        reader.close()
        print(
            f"records={args.records} partitions={args.partitions} produced_in={produced:.2f}s "
            f"executions={seen} end_to_end={elapsed:.2f}s throughput={seen / elapsed:.0f} records/s"
        )
    finally:
        stop.set()
        queue.close()
        delete_topics(args.bootstrap, prefix)


if __name__ == "__main__":
    main()
