"""The queue of the configuration: ``kestra.queue.type`` memory or kafka."""

from __future__ import annotations

from collections.abc import Iterable

from kestra_stream.config import Config, ConfigError
from kestra_stream.queue._kafka import KafkaQueue
from kestra_stream.queue._kafka_config import KafkaQueueOptions
from kestra_stream.queue._memory import MemoryQueue, MemoryQueueOptions
from kestra_stream.queue._types import DEFAULT_MESSAGE_LIMIT, Queue


def queue_from_config(config: Config, *, worker_groups: Iterable[str] = ()) -> Queue:
    kind = str(config.get("kestra.queue.type", "memory")).lower()
    if kind == "kafka":
        return KafkaQueue(options=KafkaQueueOptions.from_config(config, worker_groups=worker_groups))
    if kind == "memory":
        return MemoryQueue(
            options=MemoryQueueOptions(
                partitions=int(config.get("kestra.kafka.defaults.topic.partitions", 16)),
                message_limit=int(config.get("kestra.kafka.message-protection.limit", DEFAULT_MESSAGE_LIMIT)),
            )
        )
    raise ConfigError(f"unsupported kestra.queue.type `{kind}` (supported: memory, kafka)")
