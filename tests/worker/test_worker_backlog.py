"""A backlog of jobs drains at the pool's speed: a briefly full pool never pauses the consumer.

On Kafka, pausing purges librdkafka's prefetched records and the resumed fetch came ~1 s later, so a
pause on every full pool capped the worker at one pool's worth of jobs per second
(docs/benchmarks.md, finding 1).
"""

from __future__ import annotations

import time
from pathlib import Path

from queue_backends import MakeQueue
from test_worker import SLEEP, eventually, job, results, states, submit, worker

from kestra_stream.models.state import StateType

OUTPUTS = "io.kestra.plugin.core.output.OutputValues"


def test_a_backlog_drains_without_pausing_the_consumer(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    jobs = [job({"id": f"o{index}", "type": OUTPUTS, "values": {"i": index}}) for index in range(60)]
    with worker(queue, tmp_path, threads=2) as running:
        submit(queue, *jobs)
        wanted = {item.task_run_id for item in jobs}

        def all_done() -> bool:
            done = {r.task_run_id for r in results(queue) if r.state is StateType.SUCCESS}
            return wanted <= done

        eventually(all_done, timeout=60)
        # 30 pool fills, each shorter than pause_after: pausing on each one is what capped Kafka
        # workers at one pool's worth of jobs per second (the throughput is measured in bench/engine.py)
        assert running.consumer_pauses == 0


def test_a_pool_full_for_long_pauses_the_consumer_then_resumes(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    first = job({"id": "s1", "type": SLEEP, "duration": "PT4S"})
    second = job({"id": "s2", "type": SLEEP, "duration": "PT0.1S"})
    with worker(queue, tmp_path, threads=1, pause_after=0.2) as running:
        submit(queue, first)
        eventually(lambda: StateType.RUNNING in states(queue, first.task_run_id))
        submit(queue, second)
        eventually(lambda: running.paused)
        time.sleep(0.7)  # past pause_after: the consumer itself is paused now
        assert states(queue, second.task_run_id) == []
        assert running.consumer_pauses == 1
        eventually(lambda: StateType.SUCCESS in states(queue, second.task_run_id))
    assert states(queue, first.task_run_id) == [StateType.RUNNING, StateType.SUCCESS]
