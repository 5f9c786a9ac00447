"""The worker against a queue: results, pool back-pressure, kills, graceful hand-back."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from queue_backends import PARTITIONS, MakeQueue

from kestra_stream.executor.messages import ExecutionKilled, WorkerJob, WorkerTaskResult
from kestra_stream.kv import InMemoryKVStore
from kestra_stream.models.execution import TaskRun
from kestra_stream.models.state import StateType
from kestra_stream.queue import Queue, TopicRef, worker_jobs_topic
from kestra_stream.storage import LocalStorage
from kestra_stream.worker import Worker, WorkerOptions

RESULTS = TopicRef("worker-task-results")
LOGS = TopicRef("logs")


def job(task: dict[str, Any], *, execution_id: str | None = None) -> WorkerJob:
    execution_id = execution_id or uuid.uuid4().hex[:10]
    run = TaskRun(
        id=uuid.uuid4().hex[:10],
        execution_id=execution_id,
        namespace="test",
        flow_id="flow",
        task_id=task["id"],
    )
    variables = {
        "flow": {"id": "flow", "namespace": "test"},
        "execution": {"id": execution_id},
        "task": {"id": task["id"], "type": task["type"]},
        "taskrun": {"id": run.id, "attemptsCount": 0},
    }
    return WorkerJob(task_run=run, attempt_number=0, task=task, variables=variables)


def submit(queue: Queue, *jobs: WorkerJob) -> None:
    producer = queue.producer()
    for item in jobs:
        producer.produce(worker_jobs_topic(None), key=item.task_run_id.encode(), value=item.to_json())
    producer.flush(10)


def results(queue: Queue, task_run_id: str | None = None) -> list[WorkerTaskResult]:
    found = [
        WorkerTaskResult.from_json(r.value or b"") for r in queue.read_partitions(RESULTS, range(PARTITIONS))
    ]
    return [r for r in found if task_run_id is None or r.task_run_id == task_run_id]


def states(queue: Queue, task_run_id: str) -> list[StateType]:
    return [r.state for r in results(queue, task_run_id)]


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    assert check()


@contextmanager
def worker(queue: Queue, tmp_path: Path, **options: Any) -> Iterator[Worker]:
    stop = threading.Event()
    running = Worker(
        queue=queue,
        storage=LocalStorage(base_path=tmp_path / "storage"),
        kv=InMemoryKVStore(),
        options=WorkerOptions(worker_id=f"w-{uuid.uuid4().hex[:6]}", tmp_dir=tmp_path / "work", **options),
    )
    thread = threading.Thread(target=running.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield running
    finally:
        stop.set()
        thread.join(60)


SLEEP = "io.kestra.plugin.core.flow.Sleep"


def test_runs_a_job_and_reports_running_then_success(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    outputs = job(
        {"id": "out", "type": "io.kestra.plugin.core.output.OutputValues", "values": {"a": "{{ 1 + 1 }}"}}
    )
    logged = job({"id": "log", "type": "io.kestra.plugin.core.log.Log", "message": "hello {{ flow.id }}"})
    with worker(queue, tmp_path, threads=2):
        submit(queue, outputs, logged)
        eventually(lambda: StateType.SUCCESS in states(queue, outputs.task_run_id))
        eventually(lambda: StateType.SUCCESS in states(queue, logged.task_run_id))
    assert states(queue, outputs.task_run_id) == [StateType.RUNNING, StateType.SUCCESS]
    (done,) = [r for r in results(queue, outputs.task_run_id) if r.state is StateType.SUCCESS]
    assert done.outputs == {"values": {"a": "2"}}  # Kestra renders OutputValues strings as text
    assert done.worker_id is not None
    messages = [
        orjson.loads(r.value or b"")["message"] for r in queue.read_partitions(LOGS, range(PARTITIONS))
    ]
    assert "hello flow" in messages


def test_invalid_and_failing_tasks_end_failed(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    unknown = job({"id": "x", "type": "io.kestra.plugin.core.NoSuchTask"})
    failing = job({"id": "f", "type": "io.kestra.plugin.core.execution.Fail", "errorMessage": "nope"})
    with worker(queue, tmp_path):
        submit(queue, unknown, failing)
        eventually(lambda: StateType.FAILED in states(queue, unknown.task_run_id))
        eventually(lambda: StateType.FAILED in states(queue, failing.task_run_id))
    (fail,) = [r for r in results(queue, failing.task_run_id) if r.state is StateType.FAILED]
    assert fail.error is not None


def test_full_pool_pauses_consumption(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    first = job({"id": "s1", "type": SLEEP, "duration": "PT4S"})
    second = job({"id": "s2", "type": SLEEP, "duration": "PT0.1S"})
    with worker(queue, tmp_path, threads=1) as running:
        submit(queue, first)
        eventually(lambda: StateType.RUNNING in states(queue, first.task_run_id))
        submit(queue, second)
        eventually(lambda: running.paused)
        time.sleep(0.5)
        assert states(queue, second.task_run_id) == []  # waits for a free thread
        eventually(lambda: StateType.SUCCESS in states(queue, second.task_run_id))
    assert states(queue, first.task_run_id) == [StateType.RUNNING, StateType.SUCCESS]


def test_kill_interrupts_a_running_sleep(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    sleeping = job({"id": "long", "type": SLEEP, "duration": "PT60S"})
    with worker(queue, tmp_path):
        submit(queue, sleeping)
        eventually(lambda: StateType.RUNNING in states(queue, sleeping.task_run_id))
        started = time.monotonic()
        kill = ExecutionKilled(execution_id=sleeping.execution_id)
        queue.producer().produce(
            TopicRef("execution-kills"), key=kill.execution_id.encode(), value=kill.to_json()
        )
        queue.producer().flush(10)
        eventually(lambda: StateType.KILLED in states(queue, sleeping.task_run_id), timeout=15)
        assert time.monotonic() - started < 10


def test_graceful_shutdown_hands_back_unfinished_jobs(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    quick = job({"id": "quick", "type": SLEEP, "duration": "PT0.1S"})
    slow = job({"id": "slow", "type": SLEEP, "duration": "PT30S"})
    with worker(queue, tmp_path, threads=2, grace_period=1.0):
        submit(queue, quick, slow)
        eventually(lambda: StateType.RUNNING in states(queue, slow.task_run_id))
        eventually(lambda: StateType.SUCCESS in states(queue, quick.task_run_id))
    assert states(queue, slow.task_run_id) == [StateType.RUNNING]  # no terminal result: handed back
    with worker(make_queue(), tmp_path / "second", threads=2):
        eventually(lambda: states(queue, slow.task_run_id).count(StateType.RUNNING) == 2, timeout=30)
    assert states(queue, quick.task_run_id) == [StateType.RUNNING, StateType.SUCCESS]


@pytest.mark.parametrize("threads", [0])
def test_default_pool_is_twice_the_cores(threads: int) -> None:
    import os

    assert WorkerOptions(worker_id="w", threads=threads).pool_size == 2 * (os.cpu_count() or 1)
