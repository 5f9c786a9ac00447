from pathlib import Path

import pytest

from kestra_stream.config import load_config
from kestra_stream.topics.catalog import CatalogError, TopicCatalog, default_catalog_path, load_catalog


def _catalog(env: dict[str, str] | None = None, **kwargs: object) -> TopicCatalog:
    return load_catalog(load_config(environ=env or {}), **kwargs)  # type: ignore[arg-type]


def test_default_prefix_and_partitions() -> None:
    catalog = _catalog()
    executions = catalog.topic("executions")
    assert executions.name == "kestra_executions"
    assert executions.partitions == 16
    assert executions.replication_factor == 1
    assert executions.configs["cleanup.policy"] == "delete"


def test_prefix_partitions_and_replication_from_config() -> None:
    catalog = _catalog(
        {
            "KESTRA_KAFKA_DEFAULTS_TOPIC_PREFIX": "prod_",
            "KESTRA_KAFKA_DEFAULTS_TOPIC_PARTITIONS": "6",
            "KESTRA_KAFKA_DEFAULTS_TOPIC_REPLICATION_FACTOR": "3",
        }
    )
    assert all(spec.name.startswith("prod_") for spec in catalog.topics)
    assert {spec.partitions for spec in catalog.topics} == {6}
    assert {spec.replication_factor for spec in catalog.topics} == {3}


def test_every_design_topic_is_declared_with_a_message_type() -> None:
    keys = {spec.key for spec in _catalog().topics}
    assert {
        "executions",
        "worker-task-results",
        "execution-states",
        "worker-jobs",
        "flows",
        "triggers",
        "logs",
        "metrics",
        "service-instances",
    } <= keys
    assert all(spec.message.type and spec.message.description for spec in _catalog().topics)


def test_compacted_topics_are_compacted() -> None:
    catalog = _catalog()
    for key in ("execution-states", "flows", "triggers", "kv-metadata"):
        assert catalog.topic(key).cleanup_policy == "compact"
        assert catalog.topic(key).configs["retention.ms"] == "-1"


def test_executor_topics_are_copartitioned_on_execution_id() -> None:
    catalog = _catalog({"KESTRA_KAFKA_DEFAULTS_TOPIC_PARTITIONS": "8"})
    members = catalog.group_members("executor")
    assert {spec.key for spec in members} == {"executions", "worker-task-results", "execution-states"}
    assert {spec.partitions for spec in members} == {8}
    assert {spec.message_key for spec in members} == {"execution id"}
    assert all(spec.partition_increase_risk for spec in members)


def test_copartitioned_override_on_one_topic_only_is_rejected() -> None:
    with pytest.raises(CatalogError, match="share one partition count"):
        _catalog({"KESTRA_KAFKA_TOPICS_EXECUTIONS_PARTITIONS": "32"})


def test_copartitioned_override_on_every_member_is_accepted() -> None:
    env = {
        f"KESTRA_KAFKA_TOPICS_{key}_PARTITIONS": "32"
        for key in ("EXECUTIONS", "WORKER_TASK_RESULTS", "EXECUTION_STATES")
    }
    assert {spec.partitions for spec in _catalog(env).group_members("executor")} == {32}


def test_per_topic_overrides() -> None:
    catalog = _catalog(
        {
            "KESTRA_KAFKA_TOPICS_LOGS_NAME": "shared_logs",
            "KESTRA_KAFKA_TOPICS_LOGS_PARTITIONS": "3",
            "KESTRA_KAFKA_TOPICS_LOGS_REPLICATION_FACTOR": "2",
            "KESTRA_KAFKA_TOPICS_LOGS_PROPERTIES_RETENTION_MS": "3600000",
            "KESTRA_KAFKA_TOPICS_WORKER_TASK_RESULTS_PROPERTIES_SEGMENT_MS": "60000",
        }
    )
    logs = catalog.topic("logs")
    assert (logs.name, logs.partitions, logs.replication_factor) == ("shared_logs", 3, 2)
    assert logs.configs["retention.ms"] == "3600000"
    assert catalog.topic("worker-task-results").configs["segment.ms"] == "60000"
    assert catalog.topic("metrics").partitions == 16


def test_topic_properties_precedence() -> None:
    catalog = _catalog(
        {
            "KESTRA_KAFKA_DEFAULTS_TOPIC_PROPERTIES_COMPRESSION_TYPE": "lz4",
            "KESTRA_KAFKA_DEFAULTS_TOPIC_PROPERTIES_MAX_MESSAGE_BYTES": "1",
        }
    )
    assert {spec.configs["compression.type"] for spec in catalog.topics} == {"lz4"}
    # The catalog's own value beats the generic default.
    assert catalog.topic("executions").configs["max.message.bytes"] == "10485760"
    assert catalog.topic("logs").configs["max.message.bytes"] == "1"


def test_unknown_override_is_an_error() -> None:
    with pytest.raises(CatalogError, match="unknown topic override"):
        _catalog({"KESTRA_KAFKA_TOPICS_EXECUTION_PARTITIONS": "3"})


def test_worker_group_topics() -> None:
    catalog = _catalog({"KESTRA_KAFKA_DEFAULTS_TOPIC_PREFIX": "p_"}, worker_groups=["gpu"])
    assert catalog.topic("worker-jobs").name == "p_worker-jobs"
    assert catalog.topic("worker-jobs", worker_group="gpu").name == "p_worker-jobs-gpu"
    with pytest.raises(CatalogError, match="worker group"):
        _catalog(worker_groups=["bad group"])


def test_partition_increase_risk() -> None:
    catalog = _catalog()
    assert catalog.topic("logs").partition_increase_risk is None
    assert catalog.topic("worker-jobs").partition_increase_risk is None
    assert "compacted" in (catalog.topic("flows").partition_increase_risk or "")


def test_invalid_catalog_is_rejected(tmp_path: Path) -> None:
    text = default_catalog_path().read_text().replace("    key: tenant/namespace/flow id", "    key: null")
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    with pytest.raises(CatalogError, match="compacted topic needs a key"):
        _catalog(path=path)


def test_missing_catalog_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not found"):
        _catalog(path=tmp_path / "nope.yaml")
