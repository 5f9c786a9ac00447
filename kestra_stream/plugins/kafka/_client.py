"""Properties shared by the Kafka tasks and triggers, and the clients built from them."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from pydantic import Field

from kestra_stream.models.dates import format_instant
from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import to_timedelta
from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.kafka._serdes import SerdeType, deserialize
from kestra_stream.queue._kafka_config import librdkafka_properties

Render = Callable[[Any], Any]


class KafkaConnection(KestraModel):
    """``properties`` (``bootstrap.servers``...) and ``serdeProperties`` of every Kafka plugin."""

    properties: dict[str, Any] = dynamic()
    serde_properties: dict[str, Any] | None = dynamic(None)

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "serdeProperties": "not implemented (no schema registry): the serdes use their defaults",
    }


class KafkaConsumerProperties(KafkaConnection):
    topic: str | list[str] | None = dynamic(None)
    topic_pattern: str | None = dynamic(None)
    group_id: str | None = dynamic(None)
    key_deserializer: SerdeType = SerdeType.STRING
    value_deserializer: SerdeType = SerdeType.STRING
    since: str | None = dynamic(None, description="ISO date: first offsets from this timestamp (no group)")
    poll_duration: str = Field("PT5S", description="How long one poll waits for records.")
    max_records: int | None = None
    max_duration: str | None = None

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "since": "not implemented: consumption starts from the group's offsets (earliest without one)",
    }


def client_properties(rendered: Mapping[str, Any]) -> dict[str, Any]:
    return librdkafka_properties({str(key): value for key, value in rendered.items()})


def subscription(spec: KafkaConsumerProperties, render: Render) -> tuple[list[str], bool]:
    """(topics, is_pattern): librdkafka subscribes to regexes given with a leading ``^``."""
    if spec.topic_pattern:
        pattern = str(render(spec.topic_pattern))
        return [pattern if pattern.startswith("^") else f"^{pattern}"], True
    topics = render(spec.topic)
    if isinstance(topics, str):
        topics = [topics]
    if not topics:
        raise ValueError("one of `topic` or `topicPattern` is required")
    return [str(topic) for topic in topics], False


def new_consumer(spec: KafkaConsumerProperties, render: Render, *, group_id: str | None = None) -> Consumer:
    properties = client_properties(render(spec.properties))
    group = group_id or (render(spec.group_id) if spec.group_id else None)
    properties.setdefault("auto.offset.reset", "earliest")
    properties["enable.auto.commit"] = False
    properties["group.id"] = group or f"kestra-stream-{int(time.time() * 1000)}"
    return Consumer(properties)


def subscribe(consumer: Consumer, spec: KafkaConsumerProperties, render: Render) -> None:
    topics, _ = subscription(spec, render)
    consumer.subscribe(topics)


def _text(value: str | bytes | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8", errors="replace")


def message_variables(message: Message, spec: KafkaConsumerProperties) -> dict[str, Any]:
    """``{{ trigger.* }}`` of one record: key, value, topic, partition, offset, timestamp, headers."""
    _, stamp = message.timestamp()
    pairs: list[tuple[str, str | bytes | None]] = list(message.headers() or [])  # type: ignore[arg-type]
    headers = [{"key": key, "value": _text(value)} for key, value in pairs]
    return {
        "key": deserialize(message.key(), spec.key_deserializer),
        "value": deserialize(message.value(), spec.value_deserializer),
        "topic": message.topic(),
        "partition": message.partition(),
        "offset": message.offset(),
        "timestamp": format_instant(datetime.fromtimestamp(stamp / 1000, UTC)) if stamp > 0 else None,
        "headers": headers,
    }


@dataclass(frozen=True, slots=True)
class Limits:
    max_records: int | None
    max_seconds: float | None
    poll_seconds: float


def limits(spec: KafkaConsumerProperties) -> Limits:
    max_seconds = to_timedelta(spec.max_duration).total_seconds() if spec.max_duration else None
    return Limits(spec.max_records, max_seconds, to_timedelta(spec.poll_duration).total_seconds())


def consume_batch(consumer: Consumer, spec: KafkaConsumerProperties) -> Iterator[Message]:
    """Records until ``maxRecords``, ``maxDuration``, or a poll returning nothing (Kestra's rule)."""
    bounds = limits(spec)
    started = time.monotonic()
    count = 0
    while True:
        if bounds.max_records is not None and count >= bounds.max_records:
            return
        if bounds.max_seconds is not None and time.monotonic() - started >= bounds.max_seconds:
            return
        wanted = 500 if bounds.max_records is None else min(500, bounds.max_records - count)
        messages = consumer.consume(wanted, bounds.poll_seconds)
        if not messages:
            return
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(f"Kafka consumer error: {error}")
            count += 1
            yield message


def commit_messages(consumer: Consumer, messages: list[Message]) -> None:
    last: dict[tuple[str, int], int] = {}
    for message in messages:
        key = (message.topic() or "", message.partition() or 0)
        last[key] = max(last.get(key, -1), message.offset() or 0)
    if last:
        offsets = [
            TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()
        ]
        consumer.commit(offsets=offsets, asynchronous=False)


def matches_pattern(pattern: str, topic: str) -> bool:
    return re.fullmatch(pattern.lstrip("^"), topic) is not None
