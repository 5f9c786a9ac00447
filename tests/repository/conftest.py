"""The contract suite runs every test against both repositories.

The Elasticsearch variant creates the indices with the ``indexes apply`` code under a prefix unique to
the test, and FAILS (never skips) when Elasticsearch is unreachable (``es_url`` fixture).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch

from kestra_stream.config import Config
from kestra_stream.indexes.apply import IndexApplyOptions, apply_indexes
from kestra_stream.indexes.catalog import IndexCatalog, load_index_catalog
from kestra_stream.repository import ElasticsearchRepository, MemoryRepository, RepositoryOptions, WriteOp
from kestra_stream.repository._repositories import Repositories

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def repository_options() -> RepositoryOptions:
    return RepositoryOptions(clock=lambda: NOW)


def es_catalog(prefix: str) -> IndexCatalog:
    config = Config().with_overrides({"kestra.elasticsearch.defaults.indice-prefix": prefix})
    catalog = load_index_catalog(config)
    assert catalog.prefix == prefix  # never the production prefix
    return catalog


def drop_prefix(client: Elasticsearch, prefix: str) -> None:
    # Explicit names: wildcard deletes are refused where action.destructive_requires_name is on.
    indices = list(client.indices.get(index=f"{prefix}*", allow_no_indices=True).body)
    if indices:
        client.indices.delete(index=",".join(indices))
    templates = client.options(ignore_status=404).indices.get_index_template(name=f"{prefix}*").body
    for template in templates.get("index_templates", []):
        client.indices.delete_index_template(name=template["name"])


@pytest.fixture
def es_prefix(es_url: str) -> Iterator[str]:
    """Indices created by ``indexes apply`` under a prefix of this test only, dropped afterwards."""
    prefix = f"test_repo_{uuid.uuid4().hex[:10]}_"
    client = Elasticsearch(es_url, request_timeout=30)
    apply_indexes(es_catalog(prefix), client, IndexApplyOptions())
    try:
        yield prefix
    finally:
        drop_prefix(client, prefix)
        client.close()


@pytest.fixture(params=["memory", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
async def repo(request: pytest.FixtureRequest) -> AsyncIterator[Repositories]:
    if request.param == "memory":
        yield MemoryRepository(options=repository_options())
        return
    es_url = request.getfixturevalue("es_url")
    prefix = request.getfixturevalue("es_prefix")
    repository = ElasticsearchRepository(
        client=AsyncElasticsearch(es_url, request_timeout=30),
        catalog=es_catalog(prefix),
        options=repository_options(),
    )
    try:
        yield repository
    finally:
        await repository.close()


async def seed(repo: Repositories, *ops: WriteOp) -> None:
    outcome = await repo.writer.bulk(ops)
    assert not outcome.retry and not outcome.rejected, outcome
    await repo.writer.refresh()
