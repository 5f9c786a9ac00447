"""``topics apply`` against the real broker (deploy/infra.sh up)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigEntry, ConfigResource
from confluent_kafka.admin._resource import ResourceType
from confluent_kafka.cimpl import NewTopic

from kestra_stream.cli import main
from kestra_stream.config import load_config
from kestra_stream.topics.catalog import load_catalog

pytestmark = pytest.mark.kafka

PARTITIONS = 2


@pytest.fixture
def prefix(kafka_bootstrap: str) -> Iterator[str]:
    prefix = f"test_{uuid.uuid4().hex[:10]}_"
    yield prefix
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    ours = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if ours:
        for future in admin.delete_topics(ours, operation_timeout=30).values():
            future.result(timeout=30)


def _env(kafka_bootstrap: str, prefix: str, **extra: str) -> dict[str, str]:
    return {
        "KESTRA_KAFKA_CLIENT_PROPERTIES_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KESTRA_KAFKA_DEFAULTS_TOPIC_PREFIX": prefix,
        "KESTRA_KAFKA_DEFAULTS_TOPIC_PARTITIONS": str(PARTITIONS),
        **extra,
    }


def _apply(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["topics", "apply", *args], env=env, catch_exceptions=False)


def _create_by_hand(admin: AdminClient, topics: list[NewTopic]) -> None:
    """Create, then wait until the broker's metadata lists every partition (creation is asynchronous)."""
    for future in admin.create_topics(topics).values():
        future.result(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        metadata = admin.list_topics(timeout=10).topics
        if all(
            topic.topic in metadata and len(metadata[topic.topic].partitions) == topic.num_partitions
            for topic in topics
        ):
            return
        time.sleep(0.1)
    pytest.fail("topics created by hand never showed up in the metadata")


def _topic_configs(admin: AdminClient, name: str) -> dict[str, str]:
    (future,) = admin.describe_configs([ConfigResource(ResourceType.TOPIC, name)]).values()
    entries: dict[str, ConfigEntry] = future.result(timeout=30)
    return {key: entry.value for key, entry in entries.items()}


def test_apply_creates_every_topic_then_is_a_no_op(kafka_bootstrap: str, prefix: str) -> None:
    env = _env(kafka_bootstrap, prefix)
    expected = {spec.name for spec in load_catalog(load_config(environ=env)).topics}

    first = _apply(env)
    assert first.exit_code == 0, first.output
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    metadata = admin.list_topics(timeout=10).topics
    assert expected <= set(metadata)
    assert {len(metadata[name].partitions) for name in expected} == {PARTITIONS}
    assert _topic_configs(admin, f"{prefix}execution-states")["cleanup.policy"] == "compact"
    assert f"{len(expected)} created" in first.output

    second = _apply(env)
    assert second.exit_code == 0, second.output
    assert f"{len(expected)} topics: {len(expected)} ok" in second.output
    assert "created" not in second.output


def test_dry_run_creates_nothing(kafka_bootstrap: str, prefix: str) -> None:
    result = _apply(_env(kafka_bootstrap, prefix), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would create" in result.output
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    assert not [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]


def test_drift_is_reported_and_config_drift_fixed(kafka_bootstrap: str, prefix: str) -> None:
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    by_hand = [
        # Too few partitions and a different retention on a co-partitioned topic.
        NewTopic(
            f"{prefix}executions", num_partitions=1, replication_factor=1, config={"retention.ms": "1000"}
        ),
        # Wrong cleanup policy plus a config the catalog does not manage.
        NewTopic(
            f"{prefix}flows",
            num_partitions=PARTITIONS,
            replication_factor=1,
            config={"cleanup.policy": "delete", "segment.ms": "600000"},
        ),
        # Too few partitions on a topic that may grow safely.
        NewTopic(f"{prefix}logs", num_partitions=1, replication_factor=1),
    ]
    _create_by_hand(admin, by_hand)
    env = _env(kafka_bootstrap, prefix)

    report = _apply(env)
    assert report.exit_code == 1, report.output
    assert f"{prefix}executions: DRIFT too few partitions: wanted {PARTITIONS}, found 1" in report.output
    assert f"{prefix}executions: DRIFT retention.ms: wanted 604800000, found 1000" in report.output
    assert f"{prefix}flows: DRIFT cleanup.policy: wanted compact, found delete" in report.output
    assert f"{prefix}flows: DRIFT segment.ms" in report.output
    assert f"{prefix}logs: DRIFT too few partitions" in report.output
    assert "co-partitioned" in report.output

    fixed = _apply(env, "--fix")
    assert fixed.exit_code == 1, fixed.output  # the co-partitioned topic keeps its partition drift
    assert f"{prefix}executions: fixed retention.ms" in fixed.output
    assert "--allow-unsafe-partition-increase" in fixed.output
    assert _topic_configs(admin, f"{prefix}executions")["retention.ms"] == "604800000"
    flows = _topic_configs(admin, f"{prefix}flows")
    assert flows["cleanup.policy"] == "compact"
    assert flows["segment.ms"] != "600000"
    metadata = admin.list_topics(timeout=10).topics
    assert len(metadata[f"{prefix}logs"].partitions) == PARTITIONS
    assert len(metadata[f"{prefix}executions"].partitions) == 1

    remaining = _apply(env)
    assert remaining.exit_code == 1
    assert f"{prefix}executions: DRIFT too few partitions" in remaining.output
    assert f"{prefix}flows: DRIFT" not in remaining.output

    unsafe = _apply(env, "--fix", "--allow-unsafe-partition-increase")
    assert unsafe.exit_code == 0, unsafe.output
    assert _apply(env).exit_code == 0


def test_missing_copartitioned_topic_follows_its_group(kafka_bootstrap: str, prefix: str) -> None:
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    siblings = [NewTopic(f"{prefix}{key}", num_partitions=3, replication_factor=1) for key in ("executions",)]
    _create_by_hand(admin, siblings)
    result = _apply(_env(kafka_bootstrap, prefix))
    assert result.exit_code == 1, result.output
    assert "stay co-partitioned" in result.output
    metadata = admin.list_topics(timeout=10).topics
    assert len(metadata[f"{prefix}worker-task-results"].partitions) == 3
    assert len(metadata[f"{prefix}execution-states"].partitions) == 3


def test_unreachable_broker_is_an_error(prefix: str) -> None:
    result = CliRunner().invoke(main, ["topics", "apply", "--timeout", "2"], env=_env("127.0.0.1:1", prefix))
    assert result.exit_code == 2
    assert "cannot list Kafka topics" in result.output
