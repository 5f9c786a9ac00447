"""The few Kafka admin calls topic management needs, over confluent_kafka's AdminClient."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

# confluent_kafka.admin re-exports these without declaring them, which strict mypy rejects.
from confluent_kafka.admin._config import AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource
from confluent_kafka.admin._resource import ResourceType
from confluent_kafka.cimpl import NewPartitions, NewTopic

from kestra_stream.config import Config
from kestra_stream.topics.drift import TopicState


class KafkaAdminError(RuntimeError):
    pass


@dataclass(frozen=True, kw_only=True)
class AdminOptions:
    timeout_seconds: float = 30.0


def kafka_client_properties(config: Config) -> dict[str, Any]:
    properties = config.section("kestra.kafka.client.properties")
    if "bootstrap.servers" not in properties:
        raise KafkaAdminError(
            "no Kafka bootstrap servers: set kestra.kafka.client.properties.bootstrap.servers "
            "(env KESTRA_KAFKA_CLIENT_PROPERTIES_BOOTSTRAP_SERVERS)"
        )
    return {name: _client_value(value) for name, value in properties.items()}


def _client_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return value if isinstance(value, bool | int | float) else str(value)


class TopicAdmin:
    def __init__(self, *, client_properties: Mapping[str, Any], options: AdminOptions | None = None) -> None:
        self._options = options or AdminOptions()
        self._client = AdminClient(dict(client_properties))

    def existing_topics(self) -> set[str]:
        try:
            metadata = self._client.list_topics(timeout=self._options.timeout_seconds)
        except KafkaException as error:
            raise KafkaAdminError(f"cannot list Kafka topics: {error}") from error
        return set(metadata.topics)

    def describe(self, names: Iterable[str]) -> dict[str, TopicState]:
        names = sorted(names)
        if not names:
            return {}
        try:
            metadata = self._client.list_topics(timeout=self._options.timeout_seconds)
        except KafkaException as error:
            raise KafkaAdminError(f"cannot describe Kafka topics: {error}") from error
        resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
        timeout = self._options.timeout_seconds
        config_futures = self._client.describe_configs(resources, request_timeout=timeout)
        entries_by_name = {
            resource.name: self._wait(future, f"describe configs of {resource.name}")
            for resource, future in config_futures.items()
        }
        states: dict[str, TopicState] = {}
        for name in names:
            topic = metadata.topics.get(name)
            if topic is None or topic.error is not None:
                raise KafkaAdminError(f"cannot describe topic {name}: {topic.error if topic else 'missing'}")
            entries: Mapping[str, ConfigEntry] = entries_by_name[name]
            states[name] = TopicState(
                name=name,
                partitions=len(topic.partitions),
                replication_factor=min(len(partition.replicas) for partition in topic.partitions.values()),
                configs={key: entry.value for key, entry in entries.items() if entry.value is not None},
                overrides=frozenset(
                    key
                    for key, entry in entries.items()
                    if ConfigSource(entry.source) == ConfigSource.DYNAMIC_TOPIC_CONFIG
                ),
            )
        return states

    def create(self, topics: Iterable[NewTopic]) -> None:
        topics = list(topics)
        if not topics:
            return
        futures = self._client.create_topics(topics, request_timeout=self._options.timeout_seconds)
        for name, future in futures.items():
            try:
                future.result(timeout=self._options.timeout_seconds)
            except KafkaException as error:
                if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise KafkaAdminError(f"cannot create topic {name}: {error}") from error
        self._await_metadata({topic.topic: topic.num_partitions for topic in topics})

    def _await_metadata(self, partitions_by_topic: Mapping[str, int]) -> None:
        """Creation returns before every broker's metadata shows the topic; the next run must see it."""
        deadline = time.monotonic() + self._options.timeout_seconds
        while time.monotonic() < deadline:
            topics = self._client.list_topics(timeout=self._options.timeout_seconds).topics
            if all(
                name in topics and len(topics[name].partitions) >= count
                for name, count in partitions_by_topic.items()
            ):
                return
            time.sleep(0.1)
        raise KafkaAdminError(f"topics absent from metadata after creation: {sorted(partitions_by_topic)}")

    def alter_configs(self, name: str, *, set_values: Mapping[str, str], delete: Iterable[str]) -> None:
        entries = [
            ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
            for key, value in set_values.items()
        ] + [ConfigEntry(key, None, incremental_operation=AlterConfigOpType.DELETE) for key in delete]
        if not entries:
            return
        resource = ConfigResource(ResourceType.TOPIC, name, incremental_configs=entries)
        futures = self._client.incremental_alter_configs(
            [resource], request_timeout=self._options.timeout_seconds
        )
        for future in futures.values():
            self._wait(future, f"alter configs of {name}")

    def add_partitions(self, name: str, *, total: int) -> None:
        futures = self._client.create_partitions(
            [NewPartitions(name, total)], request_timeout=self._options.timeout_seconds
        )
        for future in futures.values():
            self._wait(future, f"grow {name} to {total} partitions")
        self._await_metadata({name: total})

    def _wait(self, future: Future[Any], action: str) -> Any:
        try:
            return future.result(timeout=self._options.timeout_seconds)
        except KafkaException as error:
            raise KafkaAdminError(f"cannot {action}: {error}") from error
