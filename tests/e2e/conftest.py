"""One engine assembly per backend per test module: ``memory`` and ``kafka`` (the real broker, fresh
topics under a unique prefix; an unreachable broker FAILS the tests, it never skips them)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queue"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_harness import Engine
from queue_backends import PARTITIONS, create_topics, delete_topics, kafka_config

from kestra_stream.queue import KafkaQueue, KafkaQueueOptions, MemoryQueue, MemoryQueueOptions, Queue


@pytest.fixture(scope="module", params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    storage = tmp_path_factory.mktemp("e2e-storage")
    prefix: str | None = None
    queue: Queue
    if request.param == "memory":
        queue = MemoryQueue(options=MemoryQueueOptions(partitions=PARTITIONS))
    else:
        bootstrap: str = request.getfixturevalue("kafka_bootstrap")
        prefix = f"te2e_{uuid.uuid4().hex[:10]}_"
        config = kafka_config(bootstrap, prefix)
        create_topics(config)
        queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    engine = Engine(queue=queue, storage=storage, backend=request.param)
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()
        if prefix is not None:
            delete_topics(request.getfixturevalue("kafka_bootstrap"), prefix)
