"""The multi-process cluster on the real Kafka and Elasticsearch: webserver, executor, two workers,
scheduler and indexer, each a ``kestra-stream server <role>`` process with its own management port,
topics and indices under a prefix unique to the run; plus what the kill tests need around it: an
open-loop webhook load and a follower of ``execution-states``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.models import Execution
from kestra_stream.queue import KafkaQueue, KafkaQueueOptions, TopicRef
from tests.api.api_backends import AUTH, REPO, _drop_run_data, _free_port, standalone_env
from tests.queue.queue_backends import kafka_config

ROLES = {
    "webserver": ["webserver"],
    "executor": ["executor"],
    "worker1": ["worker", "--thread", "4"],
    "worker2": ["worker", "--thread", "4"],
    "scheduler": ["scheduler"],
    "indexer": ["indexer"],
}


@dataclass
class Cluster:
    prefix: str
    kafka_bootstrap: str
    es_url: str
    logs: Path
    storage: Path
    port: int = field(default_factory=_free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = standalone_env(self.prefix, self.storage, _free_port(), self.kafka_bootstrap, self.es_url)
        # the executor notices a replaced worker at once; liveness by timeout is not what is measured
        env["KESTRA_SERVER_LIVENESS_INTERVAL"] = "1s"
        return env

    def start(self, name: str) -> subprocess.Popen[bytes]:
        role, *extra = ROLES[name]
        if role == "webserver":
            extra = ["--port", str(self.port)]
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "kestra_stream", "server", role, *extra],
                env=self.env(),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def alive(self) -> dict[str, bool]:
        return {name: process.poll() is None for name, process in self.processes.items()}

    def log_tail(self, name: str, size: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        _drop_run_data(self.prefix, self.kafka_bootstrap, self.es_url)

    def queue(self) -> KafkaQueue:
        return KafkaQueue(
            options=KafkaQueueOptions.from_config(kafka_config(self.kafka_bootstrap, self.prefix))
        )


def new_cluster(kafka_bootstrap: str, es_url: str, tmp: Path) -> Cluster:
    prefix = f"fo{uuid.uuid4().hex[:8]}_"
    cluster = Cluster(prefix, kafka_bootstrap, es_url, tmp / "logs", tmp / "storage")
    cluster.logs.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "kestra_stream", "indexes", "apply"],
        env=cluster.env(),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return cluster


@dataclass(frozen=True, slots=True)
class Sent:
    at: float
    """Wall clock (time.time) just before the POST."""
    execution_id: str | None
    """The id the webserver answered with; None when the POST failed (not accepted)."""


class WebhookLoad:
    """Open loop: one POST every ``1 / rate`` seconds whatever the answers, each on its own task,
    for ``seconds`` or until :meth:`stop`."""

    def __init__(self, *, url: str, per_minute: float, seconds: float = float("inf")) -> None:
        self._url = url
        self._interval = 60.0 / per_minute
        self._seconds = seconds
        self._stopping = threading.Event()
        self.sent: list[Sent] = []
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="load", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the load generator did not finish"

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout, headers={"Authorization": AUTH}) as session:
            start = time.monotonic()
            tasks = []
            for index in itertools.count():
                due = start + index * self._interval
                if due - start >= self._seconds or self._stopping.is_set():
                    break
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self._post(session, index)))
            await asyncio.gather(*tasks)

    async def _post(self, session: aiohttp.ClientSession, index: int) -> None:
        sent_at = time.time()
        execution_id = None
        try:
            async with session.post(self._url, json={"name": f"n{index}"}) as response:
                if response.status == 200:
                    execution_id = (await response.json())["id"]
        except (aiohttp.ClientError, TimeoutError):
            pass
        self.sent.append(Sent(sent_at, execution_id))

    @property
    def accepted(self) -> list[str]:
        return [sent.execution_id for sent in self.sent if sent.execution_id is not None]


class StateFollower:
    """Follows ``execution-states`` in a thread: the latest execution per id and when (wall clock)
    this process first saw it terminated."""

    def __init__(self, queue: KafkaQueue) -> None:
        self._reader = queue.broadcast_reader(topic=TopicRef("execution-states"), start="beginning")
        self.latest: dict[str, Execution] = {}
        self.ended_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="follower", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for record in self._reader.poll(5000, 0.05):
                if record.value is None:
                    continue
                execution = execution_from_bytes(record.value)
                with self._lock:
                    self.latest[execution.id] = execution
                    if execution.state.current.is_terminated():
                        self.ended_at.setdefault(execution.id, time.time())

    def ended(self, ids: list[str]) -> int:
        with self._lock:
            return sum(1 for i in ids if i in self.ended_at)

    def completions(self) -> list[float]:
        with self._lock:
            return sorted(self.ended_at.values())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._reader.close()
