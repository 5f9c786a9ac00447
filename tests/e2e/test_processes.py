"""Process-level, on Kafka: an executor SIGKILLed mid-flow and replaced (exactly-once of the executor
loop), and a second worker process sharing the task runs.

The executors are ``kestra-stream server executor`` subprocesses with ``kestra.server.instance-id``
set: the replacement has the dead one's ``transactional.id`` and fences its open transaction at once
(without it, the partitions stay blocked up to ``transaction.timeout.ms`` = 10 s, docs/queue.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from queue_backends import PARTITIONS, create_topics, delete_topics, kafka_config

from kestra_stream.executor.messages import NewExecution, WorkerJob
from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.flows_cache import FlowSource, publish_flow
from kestra_stream.models import Execution, State, StateType
from kestra_stream.queue import BroadcastReader, KafkaQueue, KafkaQueueOptions, TopicRef, worker_jobs_topic
from kestra_stream.server.instances import ServiceInstance

pytestmark = pytest.mark.kafka

TASKS = 20
EXECUTIONS = 50
RETURN = "type: io.kestra.plugin.core.debug.Return"
SEQUENTIAL = "id: seq20\nnamespace: e2e\ntasks:\n" + "".join(
    f'  - id: t{i:02d}\n    {RETURN}\n    format: "{i}-{{{{ execution.id }}}}"\n' for i in range(TASKS)
)
SLEEPY = """id: sleepy3
namespace: e2e
tasks:
  - id: s1
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.2S
  - id: s2
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.2S
  - id: s3
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.2S
"""


@dataclass
class Cluster:
    bootstrap: str
    prefix: str
    config_file: Path
    queue: KafkaQueue
    tmp: Path
    processes: list[subprocess.Popen[bytes]]
    follower: BroadcastReader | None = None
    latest: dict[str, Execution] = field(default_factory=dict)

    def spawn(self, role: str, name: str, *extra: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kestra_stream",
                "server",
                role,
                "--config",
                str(self.config_file),
                *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def log_tail(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def publish(self, source: str) -> None:
        flow = yaml.safe_load(source)
        producer = self.queue.producer()
        publish_flow(
            producer,
            FlowSource(
                tenant_id="main", namespace=flow["namespace"], id=flow["id"], revision=1, source=source
            ),
        )
        producer.flush(10)

    def submit(self, flow_id: str, count: int) -> list[str]:
        producer = self.queue.producer()
        ids = []
        for _ in range(count):
            execution_id = uuid.uuid4().hex[:16]
            execution = Execution(
                id=execution_id,
                namespace="e2e",
                flow_id=flow_id,
                flow_revision=1,
                state=State.of(StateType.CREATED),
            )
            message = NewExecution(execution=execution)
            producer.produce(TopicRef("executions"), key=execution_id.encode(), value=message.to_json())
            ids.append(execution_id)
        producer.flush(10)
        return ids

    def current_states(self) -> dict[str, Execution]:
        """Latest state per execution, following ``execution-states`` incrementally."""
        if self.follower is None:
            self.follower = self.queue.broadcast_reader(topic=TopicRef("execution-states"), start="beginning")
        while True:
            records = self.follower.poll(5000, 0.1)
            for record in records:
                if record.value is not None:
                    execution = execution_from_bytes(record.value)
                    self.latest[execution.id] = execution
            if not records and self.follower.at_end():
                return self.latest

    def final_states(self) -> dict[str, Execution]:
        """Latest state per execution, read again from the beginning of ``execution-states``."""
        latest: dict[str, Execution] = {}
        for record in self.queue.read_partitions(TopicRef("execution-states"), range(PARTITIONS)):
            if record.key is not None and record.value is not None:
                execution = execution_from_bytes(record.value)
                latest[execution.id] = execution
        return latest


@pytest.fixture
def cluster(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Cluster]:
    prefix = f"tp_{uuid.uuid4().hex[:8]}_"
    config = kafka_config(kafka_bootstrap, prefix)
    create_topics(config)
    config_file = tmp_path / "kestra.yml"
    config_file.write_text(
        yaml.safe_dump(
            {
                "kestra": {
                    "queue": {"type": "kafka"},
                    "kafka": {
                        "client": {"properties": {"bootstrap.servers": kafka_bootstrap}},
                        "defaults": {
                            "topic-prefix": prefix,
                            "consumer-prefix": prefix,
                            "topic": {"partitions": PARTITIONS},
                        },
                    },
                    "storage": {"type": "local", "local": {"base-path": str(tmp_path / "storage")}},
                    "server": {
                        "instance-id": f"{prefix}executor",
                        "liveness": {"heartbeat-interval": "500ms"},
                        "termination-grace-period": "2s",
                    },
                },
                "endpoints": {"all": {"port": 0}},
            }
        )
    )
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    made = Cluster(kafka_bootstrap, prefix, config_file, queue, tmp_path, [])
    try:
        yield made
    finally:
        for process in made.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        if made.follower is not None:
            made.follower.close()
        queue.close()
        delete_topics(kafka_bootstrap, prefix)


def _progress(cluster: Cluster, ids: list[str]) -> tuple[int, int]:
    """(task runs ended SUCCESS, executions ended) among ``ids`` in the current states."""
    states = cluster.current_states()
    wanted = [states[i] for i in ids if i in states]
    runs = sum(1 for e in wanted for run in e.task_runs() if run.state.current is StateType.SUCCESS)
    return runs, sum(1 for e in wanted if e.state.current.is_terminated())


def test_sigkilled_executor_is_replaced_without_lost_or_duplicated_work(cluster: Cluster) -> None:
    cluster.publish(SEQUENTIAL)
    cluster.spawn("worker", "worker", "--thread", "4")
    first = cluster.spawn("executor", "executor1")
    started = time.monotonic()
    ids = cluster.submit("seq20", EXECUTIONS)
    total = TASKS * EXECUTIONS
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done_runs, ended = _progress(cluster, ids)
        if done_runs >= total // 3:
            break
        assert first.poll() is None, cluster.log_tail("executor1")
        time.sleep(0.2)
    else:
        pytest.fail("no progress: " + cluster.log_tail("executor1"))
    assert ended < EXECUTIONS, "too late to kill mid-flow"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    killed_at = time.monotonic()
    killed_runs = done_runs
    cluster.spawn("executor", "executor2")
    submitted_at = started
    recovered_at = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        done_runs, ended = _progress(cluster, ids)
        if recovered_at is None and done_runs > killed_runs:
            recovered_at = time.monotonic()
        if ended == EXECUTIONS:
            break
        time.sleep(0.3)
    else:
        pytest.fail(f"{ended}/{EXECUTIONS} ended: " + cluster.log_tail("executor2"))
    assert recovered_at is not None
    print(
        f"killed after {killed_runs}/{total} task runs ({killed_at - submitted_at:.1f}s); progress again "
        f"{recovered_at - killed_at:.1f}s after the kill (new process start included); all ended "
        f"{time.monotonic() - killed_at:.1f}s after the kill"
    )

    states = cluster.final_states()
    for execution_id in ids:
        execution = states[execution_id]
        assert execution.state.current is StateType.SUCCESS, execution_id
        task_runs = list(execution.task_runs())
        assert [run.task_id for run in task_runs] == [f"t{i:02d}" for i in range(TASKS)]  # none twice
        for run in task_runs:
            attempts = run.attempts or ()
            assert [a.state.current for a in attempts] == [StateType.SUCCESS], (execution_id, run.task_id)
            assert run.outputs == {"value": f"{run.task_id[1:].lstrip('0') or '0'}-{execution_id}"}
    # exactly-once of the executor's outputs: each job was committed to worker-jobs exactly once
    jobs = Counter(
        WorkerJob.from_json(record.value).task_run_id
        for record in cluster.queue.read_partitions(worker_jobs_topic(None), range(PARTITIONS))
        if record.value is not None
    )
    assert len(jobs) == total
    duplicated = {run_id: n for run_id, n in jobs.items() if n > 1}
    assert duplicated == {}


def _workers_alive(cluster: Cluster) -> set[str]:
    seen: dict[str, ServiceInstance] = {}
    for record in cluster.queue.read_partitions(TopicRef("service-instances"), range(PARTITIONS)):
        if record.value is not None:
            instance = ServiceInstance.from_json(record.value)
            seen[instance.id] = instance
    return {i.id for i in seen.values() if i.runs_worker and time.time() - i.last_seen < 3}


def test_second_worker_process_shares_the_task_runs(cluster: Cluster) -> None:
    cluster.publish(SLEEPY)
    cluster.spawn("worker", "worker1", "--thread", "2")
    cluster.spawn("worker", "worker2", "--thread", "2")
    cluster.spawn("executor", "executor")
    deadline = time.monotonic() + 60
    while len(_workers_alive(cluster)) < 2:
        assert time.monotonic() < deadline, cluster.log_tail("worker1") + cluster.log_tail("worker2")
        time.sleep(0.3)
    time.sleep(3.0)  # both workers joined the worker group (one rebalance)
    started = time.monotonic()
    ids = cluster.submit("sleepy3", 20)
    deadline = time.monotonic() + 120
    while _progress(cluster, ids)[1] < len(ids):
        assert time.monotonic() < deadline, cluster.log_tail("executor")
        time.sleep(0.3)
    states = cluster.final_states()
    workers: Counter[str] = Counter()
    for execution_id in ids:
        assert states[execution_id].state.current is StateType.SUCCESS
        for run in states[execution_id].task_runs():
            for attempt in run.attempts or ():
                workers[attempt.worker_id or "?"] += 1
    print(f"attempts per worker: {dict(workers)}; {time.monotonic() - started:.1f}s")
    assert set(workers) == _workers_alive(cluster), workers
    assert len(workers) == 2 and min(workers.values()) >= 5, workers
