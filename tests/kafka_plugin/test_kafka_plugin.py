"""The Kafka plugin against the real broker: serdes, Produce/Consume, the polling Trigger, and the
RealtimeTrigger run by the scheduler shell (no record lost or doubled across a restart)."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.plugins.kafka import (
    Consume,
    KafkaRealtimeTrigger,
    KafkaTrigger,
    Produce,
    SerdeType,
    deserialize,
    serialize,
)
from kestra_stream.queue import KafkaQueue, KafkaQueueOptions
from kestra_stream.scheduler.messages import WorkerTriggerJob
from kestra_stream.scheduler.plugins import run_trigger_job
from kestra_stream.scheduler.service import Scheduler, SchedulerOptions
from kestra_stream.storage import LocalStorage
from tests.queue.queue_backends import create_topics, delete_topics, kafka_config
from tests.scheduler.shell import ExecutionsReader, publish


@pytest.mark.parametrize(
    ("serde", "value"),
    [
        (SerdeType.STRING, "héllo"),
        (SerdeType.INTEGER, -42),
        (SerdeType.LONG, 2**40),
        (SerdeType.SHORT, 7),
        (SerdeType.DOUBLE, 1.5),
        (SerdeType.JSON, {"a": [1, 2]}),
        (SerdeType.BYTES, "AAEC"),
        (SerdeType.VOID, None),
    ],
)
def test_serdes_round_trip(serde: SerdeType, value: Any) -> None:
    assert deserialize(serialize(value, serde), serde) == value


def test_integer_is_java_big_endian() -> None:
    assert serialize(1, SerdeType.INTEGER) == b"\x00\x00\x00\x01"


class _Logger:
    def log(self, level: str, message: str) -> None: ...
    def trace(self, message: str) -> None: ...
    def debug(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...


class _Context:
    """The RunContext subset the Kafka tasks use."""

    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self.engine = ExpressionEngine()
        self.variables: Mapping[str, Any] = {"taskrun": {"id": uuid.uuid4().hex}}
        self.logger = _Logger()
        self.metrics: list[tuple[str, float]] = []

    @property
    def working_dir(self) -> Path:
        return self._tmp

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        return self.engine.render_typed(value, {**self.variables, **(extra or {})})

    def metric(self, name: str, type: str, value: float, tags: Any = None) -> None:
        self.metrics.append((name, value))

    def put_file(self, path: Path, name: str | None = None) -> str:
        target = self._tmp / f"stored-{uuid.uuid4().hex}"
        shutil.copy(path, target)
        return f"file://{target}"

    def get_file(self, uri: str, destination: Path) -> Path:
        shutil.copy(uri.removeprefix("file://"), destination)
        return destination


@pytest.fixture
def topic(kafka_bootstrap: str) -> Iterator[str]:
    name = f"user_{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])[name].result(30)
    yield name
    admin.delete_topics([name])[name].result(30)


def _produce(bootstrap: str, topic: str, records: list[dict[str, Any]], tmp: Path, **extra: Any) -> None:
    task = Produce.model_validate(
        {
            "id": "produce",
            "type": "io.kestra.plugin.kafka.Produce",
            "properties": {"bootstrap.servers": bootstrap},
            "topic": topic,
            "from": records,
            "valueSerializer": "JSON",
            **extra,
        }
    )
    outputs = task.run(_Context(tmp))  # type: ignore[arg-type]
    assert outputs == {"messagesCount": len(records)}


def test_produce_then_consume(kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    records = [{"key": f"k{i}", "value": {"n": i}, "headers": {"h": "v"}} for i in range(5)]
    _produce(kafka_bootstrap, topic, records, tmp_path)
    _produce(kafka_bootstrap, topic, [{"key": "single", "value": {"n": 99}}], tmp_path, transactional=False)
    task = Consume.model_validate(
        {
            "id": "consume",
            "type": "io.kestra.plugin.kafka.Consume",
            "properties": {"bootstrap.servers": kafka_bootstrap},
            "topic": topic,
            "groupId": f"g-{uuid.uuid4().hex[:6]}",
            "valueDeserializer": "JSON",
            "pollDuration": "PT2S",
        }
    )
    outputs = task.run(_Context(tmp_path))  # type: ignore[arg-type]
    assert outputs["messagesCount"] == 6
    import orjson

    lines = [
        orjson.loads(line) for line in Path(outputs["uri"].removeprefix("file://")).read_bytes().splitlines()
    ]
    assert sorted(line["value"]["n"] for line in lines) == [0, 1, 2, 3, 4, 99]
    first = next(line for line in lines if line["key"] == "k0")
    assert first["headers"] == [{"key": "h", "value": "v"}] and first["topic"] == topic


def test_polling_trigger_batches_into_internal_storage(
    kafka_bootstrap: str, topic: str, tmp_path: Path
) -> None:
    _produce(kafka_bootstrap, topic, [{"value": {"n": i}} for i in range(3)], tmp_path)
    trigger = KafkaTrigger.model_validate(
        {
            "id": "poll",
            "type": "io.kestra.plugin.kafka.Trigger",
            "properties": {"bootstrap.servers": kafka_bootstrap},
            "topic": topic,
            "groupId": f"g-{uuid.uuid4().hex[:6]}",
            "valueDeserializer": "JSON",
            "pollDuration": "PT2S",
            "interval": "PT10S",
        }
    )
    job = WorkerTriggerJob(
        uid="main_ns_f_poll",
        namespace="ns",
        flow_id="f",
        flow_revision=1,
        trigger=trigger.model_dump(mode="json", by_alias=True, exclude_none=True),
        evaluation_date=datetime.now(UTC),
        variables={},
    )
    storage = LocalStorage(base_path=tmp_path / "storage")
    result = run_trigger_job(job, storage=storage)
    assert result.success, result.error
    assert result.variables is not None and result.variables["messagesCount"] == 3
    assert storage.exists(result.variables["uri"])
    again = run_trigger_job(job, storage=storage)  # offsets committed: nothing new
    assert again.success and again.variables is None


REALTIME = """
id: on-record
namespace: company.team
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


def _run(queue: KafkaQueue, name: str) -> tuple[Scheduler, threading.Thread, threading.Event]:
    scheduler = Scheduler(queue=queue, options=SchedulerOptions(instance_id=name))
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()
    assert scheduler.ready.wait(60)
    return scheduler, thread, stop


def test_realtime_trigger_one_execution_per_record_across_restart(
    kafka_bootstrap: str, topic: str, tmp_path: Path
) -> None:
    prefix = f"tk_{uuid.uuid4().hex[:8]}_"
    config = kafka_config(kafka_bootstrap, prefix)
    create_topics(config)
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    reader = ExecutionsReader(queue)
    try:
        source = REALTIME.format(bootstrap=kafka_bootstrap, topic=topic, group=f"g-{uuid.uuid4().hex[:6]}")
        publish(queue, source, flow_id="on-record")
        _, thread, stop = _run(queue, "r1")
        _produce(kafka_bootstrap, topic, [{"key": f"k{i}", "value": {"n": i}} for i in range(20)], tmp_path)
        reader.wait_for(lambda executions: len(executions) >= 20, timeout=60)
        stop.set()
        thread.join(60)
        _produce(kafka_bootstrap, topic, [{"value": {"n": i}} for i in range(20, 30)], tmp_path)
        _, thread, stop = _run(queue, "r2")
        reader.wait_for(lambda executions: len(executions) >= 30, timeout=60)
        time.sleep(2)
        reader.read()
        stop.set()
        thread.join(60)
    finally:
        reader.close()
        queue.close()
        delete_topics(kafka_bootstrap, prefix)
    values = sorted(message.execution.trigger.variables["value"]["n"] for message in reader.executions)  # type: ignore[union-attr, index]
    assert values == list(range(30))
    assert len({message.execution.id for message in reader.executions}) == 30
    variables = reader.executions[0].execution.trigger.variables  # type: ignore[union-attr]
    assert variables is not None and {
        "key",
        "value",
        "topic",
        "partition",
        "offset",
        "timestamp",
        "headers",
    } <= set(variables)
    assert reader.executions[0].execution.trigger.type == KafkaRealtimeTrigger.plugin_type  # type: ignore[union-attr]


def test_events_emit_cli(kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kestra_stream.cli import main

    result = CliRunner().invoke(
        main,
        [
            "events",
            "emit",
            "--topic",
            topic,
            "--key",
            "k1",
            "--bootstrap",
            kafka_bootstrap,
            '{"hello": "world"}',
        ],
    )
    assert result.exit_code == 0, result.output
    task = Consume.model_validate(
        {
            "id": "consume",
            "type": "io.kestra.plugin.kafka.Consume",
            "properties": {"bootstrap.servers": kafka_bootstrap},
            "topic": topic,
            "valueDeserializer": "JSON",
            "pollDuration": "PT2S",
        }
    )
    outputs = task.run(_Context(tmp_path))  # type: ignore[arg-type]
    assert outputs["messagesCount"] == 1
    bad = CliRunner().invoke(
        main, ["events", "emit", "--topic", topic, "--bootstrap", kafka_bootstrap, "{nope"]
    )
    assert bad.exit_code != 0 and "not JSON" in bad.output
