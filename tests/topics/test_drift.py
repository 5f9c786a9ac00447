from kestra_stream.config import load_config
from kestra_stream.topics.catalog import TopicSpec, load_catalog
from kestra_stream.topics.drift import DriftKind, TopicState, topic_drift


def _spec(key: str) -> TopicSpec:
    return load_catalog(load_config(environ={"KESTRA_KAFKA_DEFAULTS_TOPIC_PARTITIONS": "4"})).topic(key)


def _state(spec: TopicSpec, **changes: object) -> TopicState:
    fields: dict[str, object] = {
        "name": spec.name,
        "partitions": spec.partitions,
        "replication_factor": spec.replication_factor,
        "configs": dict(spec.configs),
        "overrides": frozenset(spec.configs),
    }
    fields.update(changes)
    return TopicState(**fields)  # type: ignore[arg-type]


def test_identical_topic_has_no_drift() -> None:
    spec = _spec("execution-states")
    assert topic_drift(spec, _state(spec)) == ()


def test_list_configs_compare_as_sets() -> None:
    spec = _spec("service-instances")
    state = _state(spec, configs={**spec.configs, "cleanup.policy": "delete, compact"})
    assert topic_drift(spec, state) == ()


def test_partitions_replication_and_configs() -> None:
    spec = _spec("executions")
    state = _state(
        spec,
        partitions=2,
        replication_factor=3,
        configs={**spec.configs, "retention.ms": "1", "segment.ms": "5"},
        overrides=frozenset({*spec.configs, "segment.ms"}),
    )
    drifts = {(drift.kind, drift.config_name): drift for drift in topic_drift(spec, state)}
    assert set(drifts) == {
        (DriftKind.TOO_FEW_PARTITIONS, None),
        (DriftKind.REPLICATION_FACTOR, None),
        (DriftKind.CONFIG, "retention.ms"),
        (DriftKind.UNMANAGED_CONFIG, "segment.ms"),
    }
    assert "co-partitioned" in drifts[(DriftKind.TOO_FEW_PARTITIONS, None)].explanation


def test_more_partitions_than_wanted_is_drift() -> None:
    spec = _spec("logs")
    (drift,) = topic_drift(spec, _state(spec, partitions=8))
    assert drift.kind is DriftKind.TOO_MANY_PARTITIONS


def test_missing_config_is_drift() -> None:
    spec = _spec("flows")
    configs = dict(spec.configs)
    del configs["segment.bytes"]
    (drift,) = topic_drift(spec, _state(spec, configs=configs))
    assert (drift.kind, drift.config_name, drift.actual) == (DriftKind.CONFIG, "segment.bytes", None)
