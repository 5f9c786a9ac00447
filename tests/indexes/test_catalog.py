from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kestra_stream.config import load_config
from kestra_stream.indexes.catalog import IndexCatalog, IndexCatalogError, Layout, load_index_catalog

# Field types and mapping parameters the Elasticsearch integ-test distribution does not have
# (mapper-extras module, analysis-common analyzers/normalizers).
_MISSING_TYPES = {"scaled_float", "match_only_text", "search_as_you_type", "token_count", "rank_feature"}
_FORBIDDEN_PARAMETERS = {"normalizer", "analyzer", "search_analyzer"}


def _catalog(env: dict[str, str] | None = None, **kwargs: Any) -> IndexCatalog:
    return load_index_catalog(load_config(environ=env or {}), **kwargs)


def _nodes(mapping: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield mapping
    for group in ("properties", "fields"):
        for child in (mapping.get(group) or {}).values():
            yield from _nodes(child)


def test_names_and_layouts() -> None:
    catalog = _catalog({"KESTRA_ELASTICSEARCH_DEFAULTS_INDICE_PREFIX": "prod_"})
    assert {spec.name for spec in catalog.indices} >= {
        "prod_executions",
        "prod_flows",
        "prod_flow_revisions",
        "prod_triggers",
        "prod_kv_metadata",
        "prod_logs",
        "prod_metrics",
    }
    logs = catalog.index("logs")
    assert logs.layout is Layout.ROTATING
    assert logs.index_patterns == ("prod_logs-*",)
    assert logs.first_index == "prod_logs-000001"
    executions = catalog.index("executions")
    assert (executions.index_patterns, executions.first_index) == (("prod_executions",), "prod_executions")


def test_default_prefix() -> None:
    assert _catalog().index("flows").name == "kestra_flows"


def test_settings_from_configuration() -> None:
    catalog = _catalog({"KESTRA_ELASTICSEARCH_DEFAULTS_INDICES_NUMBER_OF_REPLICAS": "2"})
    settings = catalog.index("logs").settings
    assert settings["number_of_replicas"] == "2"
    assert settings["auto_expand_replicas"] == "false"
    assert _catalog().index("logs").settings["auto_expand_replicas"] == "0-1"


def test_unknown_setting_is_an_error() -> None:
    with pytest.raises(IndexCatalogError, match="unsupported index setting"):
        _catalog({"KESTRA_ELASTICSEARCH_DEFAULTS_INDICES_ANALYSIS_FOO": "x"})


def test_uppercase_prefix_is_rejected() -> None:
    with pytest.raises(IndexCatalogError, match="lowercase"):
        _catalog({"KESTRA_ELASTICSEARCH_DEFAULTS_INDICE_PREFIX": "Kestra_"})


def test_mappings_turn_dynamic_mapping_off_and_use_only_available_features() -> None:
    for spec in _catalog().indices:
        assert spec.mappings["dynamic"] in (False, "strict"), spec.key
        for node in _nodes(spec.mappings):
            assert node.get("type") not in _MISSING_TYPES, spec.key
            assert not _FORBIDDEN_PARAMETERS & node.keys(), spec.key


def test_searchable_fields_have_keyword_and_full_text() -> None:
    properties = _catalog().index("executions").mappings["properties"]
    for name in ("namespace", "flowId", "id"):
        assert properties[name]["type"] == "keyword"
        assert properties[name]["fields"]["fulltext"]["type"] == "text"
    assert properties["labels"]["type"] == "nested"
    assert properties["state"]["properties"]["current"]["type"] == "keyword"
    message = _catalog().index("logs").mappings["properties"]["message"]
    assert (message["type"], message["fields"]["keyword"]["type"]) == ("text", "keyword")


def test_mapping_must_turn_dynamic_mapping_off(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"properties": {}}')
    (tmp_path / "indices.yaml").write_text(
        "indices:\n  x:\n    layout: single\n    mapping: m.json\n    source_topic: t\n    description: d\n"
    )
    with pytest.raises(IndexCatalogError, match="dynamic"):
        _catalog(path=tmp_path / "indices.yaml")
