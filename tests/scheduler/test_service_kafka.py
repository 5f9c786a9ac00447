"""The issue's done-criterion on the real broker: two ``kestra-stream server scheduler`` processes, an
every-second schedule, one SIGKILLed once both own partitions; exactly one execution per second, no
duplicate, every flow fired again after the kill. The gap failover left is printed, not asserted (it
depends on the machine's load: session.timeout.ms, rebalance and restore)."""

from __future__ import annotations

import calendar
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from kestra_stream.executor.messages import NewExecution, execution_message_from_json
from kestra_stream.queue import BroadcastReader, KafkaQueue, KafkaQueueOptions, TopicRef
from tests.queue.queue_backends import PARTITIONS, create_topics, delete_topics, kafka_config
from tests.scheduler.shell import publish

pytestmark = pytest.mark.kafka

REPO = Path(__file__).resolve().parents[2]
FLOWS = 8
AFTER_KILL = 5
"""Every flow must fire for a date this many seconds after the kill (the survivor owns them all)."""
WAIT_TIMEOUT = 180.0

FLOW = """
id: {flow_id}
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.date }}}}"
triggers:
  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
    allowConcurrent: true
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scheduler_config(path: Path, bootstrap: str, prefix: str) -> Path:
    """A ``--config`` file for ``server scheduler`` on the test's topics (own management port)."""
    path.write_text(
        f"""
kestra:
  queue:
    type: kafka
  kafka:
    client:
      properties:
        bootstrap.servers: "{bootstrap}"
    defaults:
      topic-prefix: "{prefix}"
      consumer-prefix: "{prefix}"
      topic:
        partitions: {PARTITIONS}
  storage:
    local:
      base-path: "{path.parent / "storage"}"
endpoints:
  all:
    port: {_free_port()}
"""
    )
    return path


def start_server(config: Path, log: Path, *role: str) -> subprocess.Popen[bytes]:
    """``kestra-stream server <role...> --config <config>`` in its own session (killable alone)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESTRA_") or k.startswith("KESTRA_TEST_")}
    return subprocess.Popen(
        [sys.executable, "-m", "kestra_stream", "server", *role, "--config", str(config)],
        cwd=REPO,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )


def _start(bootstrap: str, prefix: str, name: str, log: Path) -> subprocess.Popen[bytes]:
    config = scheduler_config(log.with_suffix(".yml"), bootstrap, prefix)
    return start_server(config, log, "scheduler")


def _read_all(queue: KafkaQueue) -> list[tuple[NewExecution, float]]:
    reader = queue.broadcast_reader(topic=TopicRef("executions"), start="beginning")
    found: list[tuple[NewExecution, float]] = []
    try:
        deadline = time.monotonic() + 60
        while not reader.at_end() and time.monotonic() < deadline:
            for record in reader.poll(10000, 0.2):
                message = execution_message_from_json(record.value or b"")
                assert isinstance(message, NewExecution)
                found.append((message, record.timestamp))
    finally:
        reader.close()
    return found


def _owns_partitions(log: Path) -> bool:
    """The process's last ``scheduler.assigned`` line names at least one partition."""
    owned = False
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") == "scheduler.assigned":
            owned = bool(entry.get("partitions"))
    return owned


def _latest_dates(reader: BroadcastReader, latest: dict[str, float]) -> None:
    """Fold the records ``reader`` has into the latest scheduled date (epoch s) of each flow."""
    for record in reader.poll(10000, 0.2):
        message = execution_message_from_json(record.value or b"")
        if isinstance(message, NewExecution) and message.execution.trigger is not None:
            date = (message.execution.trigger.variables or {})["date"]
            flow_id = message.execution.flow_id
            latest[flow_id] = max(latest.get(flow_id, 0.0), _epoch(str(date)))


def _epoch(date: str) -> float:
    return float(calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%SZ")))


def _wait(what: str, condition: Callable[[], bool], logs: list[Path]) -> None:
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"{log.name}: {log.read_text(errors='replace')[-2000:]}" for log in logs)
            pytest.fail(f"{what}: not after {WAIT_TIMEOUT}s\n{tails}")
        time.sleep(0.2)


def test_two_scheduler_processes_sigkill_one(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"ts_{uuid.uuid4().hex[:8]}_"
    config = kafka_config(kafka_bootstrap, prefix)
    create_topics(config)
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    processes: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / f"s{n}.log" for n in (1, 2)]
    follower = queue.broadcast_reader(topic=TopicRef("executions"), start="beginning")
    latest: dict[str, float] = {}

    def every_flow_fired(since: float) -> bool:
        _latest_dates(follower, latest)
        return len(latest) == FLOWS and all(date >= since for date in latest.values())

    try:
        for index in range(FLOWS):
            publish(queue, FLOW.format(flow_id=f"f{index}"), flow_id=f"f{index}")
        processes = [_start(kafka_bootstrap, prefix, log.stem, log) for log in logs]
        _wait("both schedulers own partitions", lambda: all(_owns_partitions(log) for log in logs), logs)
        shared_at = time.time()
        _wait("every flow fired", lambda: every_flow_fired(shared_at), logs)
        os.kill(processes[0].pid, signal.SIGKILL)
        killed_at = time.time()
        _wait("every flow fired after the kill", lambda: every_flow_fired(killed_at + AFTER_KILL), logs[1:])
        processes[1].send_signal(signal.SIGTERM)
        assert processes[1].wait(60) == 0, (tmp_path / "s2.log").read_text()[-3000:]
        found = _read_all(queue)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        follower.close()
        queue.close()
        delete_topics(kafka_bootstrap, prefix)

    by_flow: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for message, timestamp in found:
        variables = message.execution.trigger.variables  # type: ignore[union-attr]
        by_flow[message.execution.flow_id].append((variables["date"], timestamp))  # type: ignore[index]
    ids = [message.execution.id for message, _ in found]
    assert len(ids) == len(set(ids)), "duplicate execution"
    assert len(by_flow) == FLOWS
    worst_gap = 0.0
    for flow_id, entries in by_flow.items():
        dates = sorted(date for date, _ in entries)
        assert len(dates) == len(set(dates)), f"{flow_id}: a date fired twice"
        seconds = [_epoch(date) for date in dates]
        missing = [b - a for a, b in itertools.pairwise(seconds) if b - a != 1]
        assert not missing, f"{flow_id}: dates not one per second: {missing}"
        assert seconds[-1] >= killed_at + AFTER_KILL, f"{flow_id}: nothing after the kill"
        stamps = sorted(timestamp for _, timestamp in entries)
        worst_gap = max(worst_gap, *(b - a for a, b in itertools.pairwise(stamps)))
    print(f"executions={len(found)} flows={FLOWS} worst_gap={worst_gap:.1f}s (failover after SIGKILL)")
