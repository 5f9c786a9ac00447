"""Proof test on the real Elasticsearch: async bulk indexing with external versioning."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk

pytestmark = pytest.mark.elasticsearch


def action(index: str, doc_id: str, version: int, state: str) -> dict[str, Any]:
    return {
        "_op_type": "index",
        "_index": index,
        "_id": doc_id,
        "version": version,
        "version_type": "external",
        "_source": {"id": doc_id, "state": state, "version": version},
    }


async def test_bulk_external_versioning_stale_write_loses(es_url: str, unique_name: str) -> None:
    index = unique_name
    es = AsyncElasticsearch(es_url, request_timeout=30)
    try:
        health = await es.cluster.health(wait_for_status="yellow", timeout="10s")
        assert health["status"] in ("green", "yellow")
        await es.indices.create(
            index=index,
            settings={"number_of_shards": 1, "number_of_replicas": 0},
            mappings={"properties": {"id": {"type": "keyword"}, "state": {"type": "keyword"}}},
        )

        ok, errors = await async_bulk(
            es, [action(index, f"exec-{i}", 2, "RUNNING") for i in range(50)], raise_on_error=False
        )
        assert (ok, errors) == (50, [])

        # exec-0: a stale write (version 1 < 2) and an equal one lose with 409; exec-1 moves to v3
        ok, errors = await async_bulk(
            es,
            [
                action(index, "exec-0", 1, "CREATED"),
                action(index, "exec-0", 2, "DUPLICATE"),
                action(index, "exec-1", 3, "SUCCESS"),
            ],
            raise_on_error=False,
        )
        assert ok == 1
        assert [e["index"]["status"] for e in errors] == [409, 409]
        assert all(e["index"]["_id"] == "exec-0" for e in errors)
        assert all(e["index"]["error"]["type"] == "version_conflict_engine_exception" for e in errors)

        await es.indices.refresh(index=index)
        result = await es.search(index=index, query={"term": {"state": "RUNNING"}}, size=100, version=True)
        assert result["hits"]["total"]["value"] == 49
        running_ids = {hit["_id"] for hit in result["hits"]["hits"]}
        assert "exec-0" in running_ids and "exec-1" not in running_ids

        doc0 = await es.get(index=index, id="exec-0")
        assert (doc0["_version"], doc0["_source"]["state"]) == (2, "RUNNING")
        doc1 = await es.get(index=index, id="exec-1")
        assert (doc1["_version"], doc1["_source"]["state"]) == (3, "SUCCESS")

        count = await es.count(index=index, query={"term": {"state": "SUCCESS"}})
        assert count["count"] == 1
    finally:
        await es.indices.delete(index=index, ignore_unavailable=True)
        await es.close()
