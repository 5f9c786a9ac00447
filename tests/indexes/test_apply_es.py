"""``indexes apply`` and the mappings against the real Elasticsearch (deploy/infra.sh up)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from elasticsearch import BadRequestError, Elasticsearch

from kestra_stream.cli import main

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def es(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def prefix(es: Elasticsearch) -> Iterator[str]:
    prefix = f"test_{uuid.uuid4().hex[:10]}_"
    yield prefix
    # Explicit names: wildcard deletes are refused where action.destructive_requires_name is on.
    indices = list(es.indices.get(index=f"{prefix}*", allow_no_indices=True).body)
    if indices:
        es.indices.delete(index=",".join(indices))
    templates = es.options(ignore_status=404).indices.get_index_template(name=f"{prefix}*").body
    for template in templates.get("index_templates", []):
        es.indices.delete_index_template(name=template["name"])


def _apply(es_url: str, prefix: str, *args: str) -> Result:
    env = {
        "KESTRA_ELASTICSEARCH_CLIENT_HTTP_HOSTS": es_url,
        "KESTRA_ELASTICSEARCH_DEFAULTS_INDICE_PREFIX": prefix,
    }
    return CliRunner().invoke(main, ["indexes", "apply", *args], env=env, catch_exceptions=False)


def test_apply_is_idempotent(es: Elasticsearch, es_url: str, prefix: str) -> None:
    first = _apply(es_url, prefix)
    assert first.exit_code == 0, first.output
    assert "7 indices: 7 created" in first.output
    assert es.indices.exists(index=f"{prefix}executions")
    assert es.indices.exists_index_template(name=f"{prefix}flow_revisions")
    aliases = es.indices.get_alias(name=f"{prefix}logs").body
    assert aliases == {f"{prefix}logs-000001": {"aliases": {f"{prefix}logs": {"is_write_index": True}}}}

    second = _apply(es_url, prefix)
    assert second.exit_code == 0, second.output
    assert "7 indices: 7 ok" in second.output


def test_dry_run_changes_nothing(es: Elasticsearch, es_url: str, prefix: str) -> None:
    result = _apply(es_url, prefix, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "7 would create" in result.output
    assert not es.indices.exists(index=f"{prefix}*", allow_no_indices=False)


def test_mapping_drift_is_reported_and_additions_fixed(es: Elasticsearch, es_url: str, prefix: str) -> None:
    # An index made by an older version: `level` is text instead of keyword, `thread` is missing,
    # `legacy` is no longer in the mapping; and a template that no longer matches.
    es.indices.create(
        index=f"{prefix}logs-000001",
        aliases={f"{prefix}logs": {"is_write_index": True}},
        mappings={"dynamic": False, "properties": {"level": {"type": "text"}, "legacy": {"type": "long"}}},
    )
    es.indices.create(index=f"{prefix}triggers", mappings={"dynamic": False, "properties": {}})
    metrics = f"{prefix}metrics"
    es.indices.put_index_template(name=metrics, index_patterns=[f"{metrics}-*"], priority=100)

    report = _apply(es_url, prefix)
    assert report.exit_code == 1, report.output
    assert f"{prefix}logs-000001: DRIFT changed field level" in report.output
    assert f"{prefix}logs-000001: DRIFT missing field thread" in report.output
    assert f"{prefix}logs-000001: DRIFT extra field legacy" in report.output
    assert f"{prefix}triggers: DRIFT missing field namespace" in report.output
    assert f"{prefix}metrics: DRIFT template mappings" in report.output

    fixed = _apply(es_url, prefix, "--fix")
    assert fixed.exit_code == 1, fixed.output  # a changed and an extra field cannot be fixed in place
    assert "replay" in fixed.output
    assert f"{prefix}triggers: DRIFT" not in fixed.output
    assert f"{prefix}metrics: DRIFT" not in fixed.output
    assert f"{prefix}logs-000001: DRIFT changed field level" in fixed.output
    mapping = es.indices.get_mapping(index=f"{prefix}triggers").body[f"{prefix}triggers"]["mappings"]
    assert mapping["properties"]["namespace"]["type"] == "keyword"


def test_unknown_fields_are_ignored_and_label_shape_enforced(
    es: Elasticsearch, es_url: str, prefix: str
) -> None:
    assert _apply(es_url, prefix).exit_code == 0
    index = f"{prefix}executions"
    document = {
        "id": "e1",
        "namespace": "company.team",
        "flowId": "hello",
        "state": {"current": "SUCCESS"},
        "labels": [{"key": "env", "value": "prod"}],
        "notInTheModel": "kept in _source, not indexed",
    }
    es.index(index=index, id="e1", document=document, refresh=True)
    assert es.get(index=index, id="e1")["_source"]["notInTheModel"] == "kept in _source, not indexed"
    assert es.count(index=index, query={"match": {"notInTheModel": "kept"}})["count"] == 0
    mapping = es.indices.get_mapping(index=index).body[index]["mappings"]
    assert "notInTheModel" not in mapping["properties"]

    with pytest.raises(BadRequestError, match="strict_dynamic_mapping_exception"):
        es.index(index=index, id="e2", document={**document, "labels": [{"key": "a", "value": "b", "x": 1}]})

    by_label = {
        "nested": {
            "path": "labels",
            "query": {
                "bool": {"filter": [{"term": {"labels.key": "env"}}, {"term": {"labels.value": "prod"}}]}
            },
        }
    }
    assert es.count(index=index, query=by_label)["count"] == 1
    assert es.count(index=index, query={"term": {"state.current": "SUCCESS"}})["count"] == 1
    prefix_query = {"prefix": {"namespace": {"value": "COMPANY.", "case_insensitive": True}}}
    assert es.count(index=index, query=prefix_query)["count"] == 1


def test_free_text_search_on_log_messages(es: Elasticsearch, es_url: str, prefix: str) -> None:
    assert _apply(es_url, prefix).exit_code == 0
    alias = f"{prefix}logs"
    lines = [
        ("l1", "INFO", "Connection to the Warehouse database established"),
        ("l2", "ERROR", "Task failed: timeout while reading s3://bucket/file.csv"),
        ("l3", "INFO", "Hello World from the log task"),
    ]
    for doc_id, level, message in lines:
        document = {
            "namespace": "company.team",
            "flowId": "etl",
            "executionId": "exec1",
            "level": level,
            "timestamp": "2026-11-08T10:00:00Z",
            "message": message,
        }
        es.index(index=alias, id=doc_id, document=document)
    es.indices.refresh(index=alias)

    def search(query: dict[str, object]) -> list[str]:
        hits = es.search(index=alias, query=query)["hits"]["hits"]
        return sorted(hit["_id"] for hit in hits)

    assert search({"match": {"message": "warehouse"}}) == ["l1"]
    assert search({"match": {"message": {"query": "hello world", "operator": "and"}}}) == ["l3"]
    assert search({"match_phrase": {"message": "failed: timeout"}}) == ["l2"]
    errors_about_task = {"must": [{"match": {"message": "task"}}], "filter": [{"term": {"level": "ERROR"}}]}
    assert search({"bool": errors_about_task}) == ["l2"]
    assert search({"term": {"message.keyword": "Hello World from the log task"}}) == ["l3"]
    assert es.indices.get_alias(name=alias).body.keys() == {f"{alias}-000001"}
