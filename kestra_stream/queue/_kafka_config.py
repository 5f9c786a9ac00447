"""Kafka client settings of the queue: Kestra's keys, librdkafka's names, our low-latency defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kestra_stream.config import Config
from kestra_stream.queue._types import DEFAULT_MESSAGE_LIMIT
from kestra_stream.topics.admin import kafka_client_properties
from kestra_stream.topics.catalog import TopicCatalog, load_catalog

DEFAULT_CONSUMER_PREFIX = "kestra_"

# Java client property names Kestra's configuration uses, spelled the librdkafka way.
_JAVA_TO_LIBRDKAFKA = {"max.request.size": "message.max.bytes"}
_JAVA_ONLY = frozenset({"key.serializer", "value.serializer", "key.deserializer", "value.deserializer"})

PRODUCER_DEFAULTS: Mapping[str, Any] = {
    "partitioner": "murmur2_random",  # the Java client's partitioner: same partition for a key everywhere
    "acks": "all",
    "compression.type": "lz4",
    "linger.ms": 5,
    "socket.nagle.disable": True,
    "message.max.bytes": 10485760,
}
CONSUMER_DEFAULTS: Mapping[str, Any] = {
    "isolation.level": "read_committed",
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "fetch.wait.max.ms": 10,
    "socket.nagle.disable": True,
    "session.timeout.ms": 6000,  # the lowest a stock broker accepts (group.min.session.timeout.ms)
    "heartbeat.interval.ms": 1500,
}


def librdkafka_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for name, value in properties.items():
        if name in _JAVA_ONLY:
            continue
        if isinstance(value, list | tuple):
            value = ",".join(str(item) for item in value)
        converted[_JAVA_TO_LIBRDKAFKA.get(name, name)] = value
    return converted


@dataclass(frozen=True, kw_only=True)
class KafkaQueueOptions:
    catalog: TopicCatalog
    client_properties: Mapping[str, Any]
    producer_properties: Mapping[str, Any] = field(default_factory=dict)
    consumer_properties: Mapping[str, Any] = field(default_factory=dict)
    consumer_prefix: str = DEFAULT_CONSUMER_PREFIX
    message_limit: int = DEFAULT_MESSAGE_LIMIT
    # A crashed executor's open transaction blocks read_committed readers of its partitions this long.
    transaction_timeout_ms: int = 10000
    operation_timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Config, *, worker_groups: Iterable[str] = ()) -> KafkaQueueOptions:
        protection = bool(_as_bool(config.get("kestra.kafka.message-protection.enabled", True)))
        limit = int(config.get("kestra.kafka.message-protection.limit", DEFAULT_MESSAGE_LIMIT))
        return cls(
            catalog=load_catalog(config, worker_groups=worker_groups),
            client_properties=kafka_client_properties(config),
            producer_properties=librdkafka_properties(
                config.section("kestra.kafka.defaults.producer.properties")
            ),
            consumer_properties=librdkafka_properties(
                config.section("kestra.kafka.defaults.consumer.properties")
            ),
            consumer_prefix=str(config.get("kestra.kafka.defaults.consumer-prefix", DEFAULT_CONSUMER_PREFIX)),
            message_limit=limit if protection else 2**31 - 1,
        )

    def producer_config(self, **extra: Any) -> dict[str, Any]:
        return {**PRODUCER_DEFAULTS, **self.client_properties, **self.producer_properties, **extra}

    def consumer_config(self, **extra: Any) -> dict[str, Any]:
        return {**CONSUMER_DEFAULTS, **self.client_properties, **self.consumer_properties, **extra}


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)
