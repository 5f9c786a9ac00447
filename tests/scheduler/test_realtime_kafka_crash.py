"""Issue 6 done-criterion: 5,000 JSON records on a Kafka topic with a ``RealtimeTrigger`` flow listening;
the ``server scheduler`` process running the trigger is SIGKILLed mid-run and restarted; a
``server executor`` process turns the executions into states. Exactly 5,000 executions on
``execution-states``: distinct ids, each record's (partition, offset) once, all SUCCESS.

The flow's only task is an ``If`` whose condition is false: executions end in the executor, so the
count does not wait for workers (the criterion is about the trigger, not task throughput).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from kestra_stream.executor.messages import NewExecution, execution_message_from_json
from kestra_stream.queue import KafkaQueue, KafkaQueueOptions, TopicRef
from tests.queue.queue_backends import create_topics, delete_topics, kafka_config
from tests.scheduler.shell import publish
from tests.scheduler.test_service_kafka import scheduler_config, start_server

pytestmark = pytest.mark.kafka

RECORDS = 5000
SOURCE_PARTITIONS = 4
PRODUCE_RATE = 1000  # records/s: the kill lands while records are still arriving
KILL_AFTER = 1500  # NewExecutions seen on `executions`

FLOW = """
id: listener
namespace: company.team
tasks:
  - id: never
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{ trigger.value.n < 0 }}}}"
    then:
      - id: log
        type: io.kestra.plugin.core.log.Log
        message: "{{{{ trigger.value }}}}"
triggers:
  - id: listen
    type: io.kestra.plugin.kafka.RealtimeTrigger
    properties:
      bootstrap.servers: "{bootstrap}"
      session.timeout.ms: "10000"
    topic: {topic}
    groupId: {group}
    valueDeserializer: JSON
"""


def _produce(bootstrap: str, topic: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    started = time.monotonic()
    for n in range(RECORDS):
        producer.produce(topic, key=str(n).encode(), value=orjson.dumps({"n": n}))
        if n % 100 == 99:
            producer.poll(0)
            ahead = (n + 1) / PRODUCE_RATE - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    assert producer.flush(30) == 0


class Counter:
    """NewExecutions on ``executions`` (with redeliveries), followed in a thread."""

    def __init__(self, queue: KafkaQueue) -> None:
        self.new = 0
        self.first: float | None = None
        self._reader = queue.broadcast_reader(topic=TopicRef("executions"), start="beginning")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for record in self._reader.poll(5000, 0.05):
                if isinstance(execution_message_from_json(record.value or b"{}"), NewExecution):
                    self.new += 1
                    self.first = self.first or time.monotonic()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._reader.close()


def _states(queue: KafkaQueue, timeout: float) -> dict[str, dict[str, object]]:
    """The latest state of every execution, read until all RECORDS are SUCCESS or ``timeout``."""
    reader = queue.broadcast_reader(topic=TopicRef("execution-states"), start="beginning")
    latest: dict[str, dict[str, object]] = {}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for record in reader.poll(10000, 0.2):
                if record.value is not None and record.key is not None:
                    latest[record.key.decode()] = orjson.loads(record.value)["execution"]
            done = sum(1 for e in latest.values() if e["state"]["current"] == "SUCCESS")  # type: ignore[index]
            if done >= RECORDS and reader.at_end():
                break
    finally:
        reader.close()
    return latest


def test_realtime_trigger_sigkilled_and_restarted(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"rt_{uuid.uuid4().hex[:8]}_"
    source = f"{prefix}source"
    config = kafka_config(kafka_bootstrap, prefix)
    create_topics(config)
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(source, num_partitions=SOURCE_PARTITIONS, replication_factor=1)])[
        source
    ].result(30)
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    publish(
        queue,
        FLOW.format(bootstrap=kafka_bootstrap, topic=source, group=f"{prefix}listener"),
        flow_id="listener",
    )
    processes: dict[str, subprocess.Popen[bytes]] = {}
    counter = Counter(queue)
    logs = {name: tmp_path / f"{name}.log" for name in ("executor", "scheduler", "scheduler2")}
    try:
        processes["executor"] = start_server(
            scheduler_config(tmp_path / "executor.yml", kafka_bootstrap, prefix), logs["executor"], "executor"
        )
        scheduler_yml = scheduler_config(tmp_path / "scheduler.yml", kafka_bootstrap, prefix)
        processes["scheduler"] = start_server(scheduler_yml, logs["scheduler"], "scheduler")
        producer = threading.Thread(target=_produce, args=(kafka_bootstrap, source), daemon=True)
        producer.start()
        deadline = time.monotonic() + 120
        while counter.new < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.02)
        assert counter.new >= KILL_AFTER, logs["scheduler"].read_text()[-3000:]
        os.kill(processes["scheduler"].pid, signal.SIGKILL)
        killed_at, before_kill = time.monotonic(), counter.new
        assert before_kill < RECORDS, "the kill came after the last record"
        rate_before = before_kill / (killed_at - (counter.first or killed_at))
        processes["scheduler"].wait(10)
        processes["scheduler2"] = start_server(scheduler_yml, logs["scheduler2"], "scheduler")
        producer.join(60)
        states = _states(queue, timeout=300)
        finished = time.monotonic()
    finally:
        counter.close()
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        queue.close()
        delete_topics(kafka_bootstrap, prefix)

    positions = [
        (e["trigger"]["variables"]["partition"], e["trigger"]["variables"]["offset"])  # type: ignore[index]
        for e in states.values()
    ]
    values = sorted(e["trigger"]["variables"]["value"]["n"] for e in states.values())  # type: ignore[index]
    assert len(states) == RECORDS, f"{len(states)} executions for {RECORDS} records"
    assert len(set(positions)) == RECORDS, "a record started two executions"
    assert values == list(range(RECORDS)), "a record started no execution, or two"
    assert all(e["state"]["current"] == "SUCCESS" for e in states.values())  # type: ignore[index]
    total = finished - (counter.first or finished)
    print(
        f"records={RECORDS} new_executions_seen={counter.new} (redelivered {counter.new - RECORDS}) "
        f"before_kill={before_kill} at {rate_before:.0f} records/s; "
        f"all {RECORDS} SUCCESS on execution-states {total:.1f} s after the first execution"
    )
