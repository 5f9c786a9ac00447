"""One kestra-stream server per backend for the whole corpus module: the in-process web app with
the real executor and worker on a MemoryQueue (``memory``), and ``server standalone`` on the running
Kafka and Elasticsearch (``kafka``, topics and indices under a unique prefix, dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.api.api_backends import memory_backend, memory_config, standalone_backend


@pytest.fixture(scope="module")
def compat_memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = memory_config(tmp_path_factory.mktemp("compat-memory"))
    with memory_backend(config, worker_threads=8) as base:
        yield base


@pytest.fixture(scope="module")
def compat_kafka(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str, es_url: str
) -> Iterator[str]:
    prefix = f"compat{uuid.uuid4().hex[:8]}_"
    with standalone_backend(
        tmp_path_factory, kafka_bootstrap, es_url, prefix=prefix, worker_threads=8
    ) as base:
        yield base
