"""Indexer tests write into indices created by ``indexes apply`` under a prefix unique to the test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch
from prometheus_client import CollectorRegistry

from kestra_stream.config import Config
from kestra_stream.indexer import IndexerMetrics
from kestra_stream.indexes.apply import IndexApplyOptions, apply_indexes
from kestra_stream.indexes.catalog import IndexCatalog, load_index_catalog
from kestra_stream.repository import ElasticsearchRepository


def es_catalog(prefix: str) -> IndexCatalog:
    catalog = load_index_catalog(
        Config().with_overrides({"kestra.elasticsearch.defaults.indice-prefix": prefix})
    )
    assert catalog.prefix == prefix  # never the production prefix
    return catalog


@pytest.fixture
def metrics() -> IndexerMetrics:
    return IndexerMetrics(registry=CollectorRegistry())


@pytest.fixture
def es_prefix(es_url: str) -> Iterator[str]:
    prefix = f"test_idx_{uuid.uuid4().hex[:10]}_"
    client = Elasticsearch(es_url, request_timeout=30)
    apply_indexes(es_catalog(prefix), client, IndexApplyOptions())
    try:
        yield prefix
    finally:
        indices = list(client.indices.get(index=f"{prefix}*", allow_no_indices=True).body)
        if indices:
            client.indices.delete(index=",".join(indices))
        templates = client.options(ignore_status=404).indices.get_index_template(name=f"{prefix}*").body
        for template in templates.get("index_templates", []):
            client.indices.delete_index_template(name=template["name"])
        client.close()


@pytest.fixture
async def es_repo(es_url: str, es_prefix: str) -> AsyncIterator[ElasticsearchRepository]:
    repository = ElasticsearchRepository(
        client=AsyncElasticsearch(es_url, request_timeout=30), catalog=es_catalog(es_prefix)
    )
    try:
        yield repository
    finally:
        await repository.close()
