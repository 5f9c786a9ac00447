"""Throughput and latency of the whole engine on Kestra's benchmark 1 (OutputValues → Log, no webhook).

N ``NewExecution`` messages are produced to ``executions`` (all at once, or at ``--rate`` per minute);
a follower of ``execution-states`` records when each execution is first seen terminal. Prints
executions/s (first submission → last terminal state) and p50/p95/max latency (submission → terminal
state observed).

Backends:
- ``memory``: ``Server`` (executor + worker roles) on a ``MemoryQueue``, all in this process.
- ``kafka`` ``--mode inprocess``: the same ``Server`` on a ``KafkaQueue`` (fresh topics, unique prefix).
- ``kafka`` ``--mode processes``: ``kestra-stream server executor`` and ``server worker``
  subprocesses; this process only produces and follows.

Examples::

    .venv/bin/python bench/engine.py memory -n 2000
    .venv/bin/python bench/engine.py kafka -n 1000 --mode processes
    .venv/bin/python bench/engine.py kafka -n 300 --rate 1000 --mode processes
    .venv/bin/python bench/engine.py memory -n 1000 --profile /tmp/executor.prof   # executor thread

The Kafka broker comes from ``KESTRA_TEST_KAFKA_BOOTSTRAP`` (default 127.0.0.1:9092).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from kestra_stream.config import Config
from kestra_stream.executor.messages import NewExecution
from kestra_stream.executor.processor import ExecutorProcessor
from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.flows_cache import FlowSource, publish_flow
from kestra_stream.models import Execution, State, StateType
from kestra_stream.queue import (
    KafkaQueue,
    KafkaQueueOptions,
    MemoryQueue,
    MemoryQueueOptions,
    Queue,
    TopicRef,
)
from kestra_stream.server import Server, ServerPlan, ServerSettings

FLOW = """id: benchmark
namespace: company.team
tasks:
  - id: concatenate
    type: io.kestra.plugin.core.output.OutputValues
    values:
      message: "{{ execution.id }} says hello"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.concatenate.values.message }}"
"""
EXECUTIONS = TopicRef("executions")
STATES = TopicRef("execution-states")
PARTITIONS = 4


class Follower:
    """First time each execution is seen terminal on ``execution-states``."""

    def __init__(self, queue: Queue) -> None:
        self._reader = queue.broadcast_reader(topic=STATES, start="end")
        self.ended: dict[str, float] = {}
        self.states: dict[str, StateType] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-follower")

    def start(self) -> None:
        self._reader.poll(1, 0.5)  # position the reader at the end before anything is submitted
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for record in self._reader.poll(2000, 0.05):
                if record.value is None or record.key is None:
                    continue
                execution_id = record.key.decode()
                if execution_id in self.ended:
                    continue
                execution = execution_from_bytes(record.value)
                if execution.state.current.is_terminated():
                    self.ended[execution_id] = time.time()
                    self.states[execution_id] = execution.state.current

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._reader.close()


def kafka_config(bootstrap: str, prefix: str) -> dict[str, Any]:
    return {
        "kestra": {
            "queue": {"type": "kafka"},
            "kafka": {
                "client": {"properties": {"bootstrap.servers": bootstrap}},
                "defaults": {
                    "topic-prefix": prefix,
                    "consumer-prefix": prefix,
                    "topic": {"partitions": PARTITIONS},
                },
            },
            "server": {"instance-id": f"{prefix}executor", "termination-grace-period": "2s"},
        },
        "endpoints": {"all": {"port": 0}},
    }


def create_topics(config: Config) -> None:
    from kestra_stream.topics.admin import TopicAdmin
    from kestra_stream.topics.apply import ApplyOptions, apply_catalog
    from kestra_stream.topics.catalog import load_catalog

    bootstrap = config.get("kestra.kafka.client.properties.bootstrap.servers")
    apply_catalog(
        load_catalog(config), TopicAdmin(client_properties={"bootstrap.servers": bootstrap}), ApplyOptions()
    )


def delete_topics(bootstrap: str, prefix: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    ours = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if ours:
        for future in admin.delete_topics(ours, operation_timeout=30).values():
            future.result(timeout=30)


@contextmanager
def profiled_executor(path: str | None) -> Iterator[None]:
    """cProfile the executor processor's thread (the engine's hot path) into ``path``."""
    if path is None:
        yield
        return
    original = ExecutorProcessor.run
    profile = cProfile.Profile()

    def run(self: ExecutorProcessor, stop: threading.Event) -> None:
        profile.runcall(original, self, stop)

    ExecutorProcessor.run = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        ExecutorProcessor.run = original  # type: ignore[method-assign]
        profile.dump_stats(path)
        stats = pstats.Stats(path)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)


@contextmanager
def engine(args: argparse.Namespace, tmp: Path) -> Iterator[Queue]:
    storage = {"kestra.storage.local.base-path": str(tmp / "storage")}
    if args.backend == "memory":
        memory = MemoryQueue(options=MemoryQueueOptions(partitions=PARTITIONS))
        local = Server(
            config=Config().with_overrides(storage),
            plan=ServerPlan(management=False, worker_threads=args.threads),
            queue=memory,
            settings=ServerSettings(termination_grace_period=2.0),
        )
        with profiled_executor(args.profile):
            local.start()
            try:
                yield memory
            finally:
                local.stop()
        return
    bootstrap = os.environ.get("KESTRA_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    raw = kafka_config(bootstrap, prefix)
    raw["kestra"]["storage"] = {"type": "local", "local": {"base-path": str(tmp / "storage")}}
    config_file = tmp / "kestra.yml"
    config_file.write_text(yaml.safe_dump(raw))
    config = Config().with_overrides(
        {
            "kestra.queue.type": "kafka",
            "kestra.kafka.client.properties.bootstrap.servers": bootstrap,
            "kestra.kafka.defaults.topic-prefix": prefix,
            "kestra.kafka.defaults.consumer-prefix": prefix,
            "kestra.kafka.defaults.topic.partitions": PARTITIONS,
            "kestra.server.instance-id": f"{prefix}executor",
            **storage,
        }
    )
    create_topics(config)
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    processes: list[subprocess.Popen[bytes]] = []
    server: Server | None = None
    try:
        if args.mode == "processes":
            for role, extra in (("worker", ["--thread", str(args.threads)]), ("executor", [])):
                command = [
                    sys.executable,
                    "-m",
                    "kestra_stream",
                    "server",
                    role,
                    "--config",
                    str(config_file),
                ]
                log = (tmp / f"{role}.log").open("ab")
                processes.append(
                    subprocess.Popen(
                        [*command, *extra], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
            with profiled_executor(None):
                yield queue
        else:
            server = Server(
                config=config,
                plan=ServerPlan(management=False, worker_threads=args.threads),
                queue=queue,
                settings=ServerSettings(termination_grace_period=2.0),
            )
            with profiled_executor(args.profile):
                server.start()
                yield queue
    finally:
        if server is not None:
            server.stop()
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        queue.close()
        delete_topics(bootstrap, prefix)


def warm_up(queue: Queue, follower: Follower, timeout: float = 120.0) -> float:
    """One execution end to end (group joins, restore, first parse) before measuring; its latency."""
    (execution_id,), sent = submit(queue, 1, rate=None)
    deadline = time.monotonic() + timeout
    while execution_id not in follower.ended:
        if time.monotonic() > deadline:
            raise SystemExit("warm-up execution never ended: is the engine running?")
        time.sleep(0.05)
    return follower.ended[execution_id] - sent[execution_id]


def submit(queue: Queue, count: int, *, rate: float | None) -> tuple[list[str], dict[str, float]]:
    producer = queue.producer()
    ids: list[str] = []
    sent: dict[str, float] = {}
    interval = 60.0 / rate if rate else 0.0
    started = time.monotonic()
    for index in range(count):
        if interval:
            delay = started + index * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        execution_id = uuid.uuid4().hex[:16]
        execution = Execution(
            id=execution_id,
            namespace="company.team",
            flow_id="benchmark",
            flow_revision=1,
            state=State.of(StateType.CREATED),
        )
        sent[execution_id] = time.time()
        producer.produce(
            EXECUTIONS, key=execution_id.encode(), value=NewExecution(execution=execution).to_json()
        )
        ids.append(execution_id)
        if interval:
            producer.flush(10)
    producer.flush(30)
    return ids, sent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("backend", choices=["memory", "kafka"])
    parser.add_argument("-n", type=int, default=1000, help="executions")
    parser.add_argument(
        "--rate", type=float, default=None, help="executions per minute (default: all at once)"
    )
    parser.add_argument("--mode", choices=["inprocess", "processes"], default="inprocess", help="kafka only")
    parser.add_argument("--threads", type=int, default=8, help="worker threads")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--profile", default=None, help="cProfile the executor thread (in-process only)")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-engine-") as directory,
        engine(args, Path(directory)) as queue,
    ):
        producer = queue.producer()
        publish_flow(
            producer,
            FlowSource(tenant_id="main", namespace="company.team", id="benchmark", revision=1, source=FLOW),
        )
        producer.flush(10)
        follower = Follower(queue)
        follower.start()
        first = warm_up(queue, follower)
        ids, sent = submit(queue, args.n, rate=args.rate)
        deadline = time.monotonic() + args.timeout
        while sum(1 for i in ids if i in follower.ended) < len(ids):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        follower.stop()
        ended = [i for i in ids if i in follower.ended]
        latencies = sorted(follower.ended[i] - sent[i] for i in ended)
        states: dict[str, int] = {}
        for i in ended:
            states[follower.states[i].value] = states.get(follower.states[i].value, 0) + 1
        elapsed = max(follower.ended[i] for i in ended) - min(sent.values()) if ended else float("nan")
        mode = "in-process" if args.backend == "memory" or args.mode == "inprocess" else "processes"
        rate = f"{args.rate:g}/min" if args.rate else "all at once"
        print(
            f"backend={args.backend} mode={mode} n={args.n} submitted={rate} worker_threads={args.threads} "
            f"cpus={os.cpu_count()}"
        )
        print(f"warm-up execution: {first:.2f}s")
        print(
            f"ended {len(ended)}/{len(ids)} {states} in {elapsed:.2f}s → "
            f"{len(ended) / elapsed:.1f} executions/s"
        )
        if latencies:
            p50 = statistics.median(latencies)
            p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
            print(
                f"latency p50={p50 * 1000:.0f} ms p95={p95 * 1000:.0f} ms max={latencies[-1] * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
