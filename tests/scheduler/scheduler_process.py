"""A scheduler process on Kafka for process-level tests (until ``server scheduler`` exists).

``python -m tests.scheduler.scheduler_process BOOTSTRAP PREFIX INSTANCE_ID``; SIGTERM stops it gracefully.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from kestra_stream.queue import KafkaQueue, KafkaQueueOptions
from kestra_stream.scheduler.service import Scheduler, SchedulerOptions
from tests.queue.queue_backends import kafka_config


def main() -> None:
    bootstrap, prefix, instance_id = sys.argv[1:4]
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(kafka_config(bootstrap, prefix)))
    scheduler = Scheduler(queue=queue, options=SchedulerOptions(instance_id=instance_id))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        scheduler.run(stop)
    finally:
        queue.close()


if __name__ == "__main__":
    main()
