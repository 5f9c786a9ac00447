"""``server standalone`` on Kafka + Elasticsearch: the embedded indexer makes the execution searchable
with its final state; ``server local``'s memory repository is fed the same way."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from engine_helpers import ended, engine, submit, wait_for
from queue_backends import create_topics, kafka_config

from kestra_stream.config import Config
from kestra_stream.queue import KafkaQueue, KafkaQueueOptions, MemoryQueue, MemoryQueueOptions
from kestra_stream.repository import MemoryRepository

FLOW = """
id: hello
namespace: indexed
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ 6 * 7 }}"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hello from the indexer test
"""


@pytest.fixture
def es_prefix(es_url: str) -> Iterator[str]:
    prefix = f"test_srv_{uuid.uuid4().hex[:10]}_"
    yield prefix
    client = Elasticsearch(es_url, request_timeout=30)
    indices = list(client.indices.get(index=f"{prefix}*", allow_no_indices=True).body)
    if indices:
        client.indices.delete(index=",".join(indices))
    templates = client.options(ignore_status=404).indices.get_index_template(name=f"{prefix}*").body
    for template in templates.get("index_templates", []):
        client.indices.delete_index_template(name=template["name"])
    client.close()


@pytest.mark.kafka
@pytest.mark.elasticsearch
def test_standalone_indexes_the_execution_into_elasticsearch(
    kafka_bootstrap: str, kafka_prefix: str, es_url: str, es_prefix: str, tmp_path: Path
) -> None:
    config = kafka_config(
        kafka_bootstrap,
        kafka_prefix,
        **{
            "kestra.elasticsearch.client.http-hosts": es_url,
            "kestra.elasticsearch.defaults.indice-prefix": es_prefix,
            "kestra.indexer.batch-duration": "PT0.2S",
        },
    )
    create_topics(config)
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    client = Elasticsearch(es_url, request_timeout=30)
    try:
        with engine(queue, tmp_path, {"hello": FLOW}, indexer=True, config=config) as server:
            assert server.indexer is not None
            execution_id = submit(queue, "indexed", "hello")
            wait_for(queue, ended([execution_id]))
            deadline = time.monotonic() + 60
            source = None
            while time.monotonic() < deadline:
                found = client.options(ignore_status=404).get(index=f"{es_prefix}executions", id=execution_id)
                source = found.body.get("_source") if found.body.get("found") else None
                if source is not None and source["state"]["current"] == "SUCCESS":
                    break
                time.sleep(0.3)
            assert source is not None and source["state"]["current"] == "SUCCESS", source
            client.indices.refresh(index=f"{es_prefix}logs")
            hits = client.search(
                index=f"{es_prefix}logs", query={"term": {"executionId": execution_id}}, size=50
            ).body["hits"]["hits"]
            assert any(hit["_source"]["message"] == "hello from the indexer test" for hit in hits)
    finally:
        client.close()
        queue.close()


def test_local_memory_repository_is_fed_by_the_server(tmp_path: Path) -> None:
    import asyncio

    queue = MemoryQueue(options=MemoryQueueOptions(partitions=4))
    with engine(queue, tmp_path, {"hello": FLOW}, indexer=True, config=Config()) as server:
        repository = server.repository
        assert isinstance(repository, MemoryRepository)
        execution_id = submit(queue, "indexed", "hello")
        wait_for(queue, ended([execution_id]))
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            execution = asyncio.run(repository.executions.find_by_id(execution_id))
            state = execution.state.current.value if execution is not None else None
            if state == "SUCCESS":
                break
            time.sleep(0.1)
    assert state == "SUCCESS"
