"""The queue contract runs on both backends: ``memory`` and ``kafka`` (the real broker, fresh topics)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.admin import AdminClient

from kestra_stream.config import Config
from kestra_stream.queue import KafkaQueue, KafkaQueueOptions, MemoryQueue, MemoryQueueOptions, Queue
from kestra_stream.topics.admin import TopicAdmin
from kestra_stream.topics.apply import ApplyOptions, apply_catalog
from kestra_stream.topics.catalog import load_catalog

PARTITIONS = 4


def kafka_config(bootstrap: str, prefix: str, **extra: object) -> Config:
    return Config().with_overrides(
        {
            "kestra.queue.type": "kafka",
            "kestra.kafka.client.properties.bootstrap.servers": bootstrap,
            "kestra.kafka.defaults.topic-prefix": prefix,
            "kestra.kafka.defaults.consumer-prefix": prefix,
            "kestra.kafka.defaults.topic.partitions": PARTITIONS,
            **extra,
        }
    )


def create_topics(config: Config, worker_groups: tuple[str, ...] = ()) -> None:
    catalog = load_catalog(config, worker_groups=worker_groups)
    admin = TopicAdmin(
        client_properties={
            "bootstrap.servers": config.get("kestra.kafka.client.properties.bootstrap.servers")
        }
    )
    apply_catalog(catalog, admin, ApplyOptions())


def delete_topics(bootstrap: str, prefix: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    ours = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if ours:
        for future in admin.delete_topics(ours, operation_timeout=30).values():
            future.result(timeout=30)


MakeQueue = Callable[[], Queue]


@pytest.fixture
def kafka_prefix(kafka_bootstrap: str) -> Iterator[str]:
    prefix = f"tq_{uuid.uuid4().hex[:10]}_"
    yield prefix
    delete_topics(kafka_bootstrap, prefix)


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
def make_queue(request: pytest.FixtureRequest) -> Iterator[MakeQueue]:
    """Queues of one backend sharing one cluster (several processes of one deployment)."""
    made: list[Queue] = []
    if request.param == "memory":
        shared = MemoryQueue(options=MemoryQueueOptions(partitions=PARTITIONS))

        def make() -> Queue:
            return shared

    else:
        bootstrap = request.getfixturevalue("kafka_bootstrap")
        prefix = request.getfixturevalue("kafka_prefix")
        config = kafka_config(bootstrap, prefix)
        create_topics(config)
        options = KafkaQueueOptions.from_config(config)

        def make() -> Queue:
            queue = KafkaQueue(options=options)
            made.append(queue)
            return queue

    yield make
    for queue in made:
        queue.close()
