from pathlib import Path

import pytest

from kestra_stream.config import ConfigError, canonical_key, load_config


def test_env_var_maps_to_kebab_case_key(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("kestra:\n  storage:\n    s3:\n      access-key: from-file\n      bucket: b\n")
    config = load_config(path, environ={"KESTRA_STORAGE_S3_ACCESS_KEY": "from-env"})
    assert config.get("kestra.storage.s3.access-key") == "from-env"
    assert config.get("kestra.storage.s3.bucket") == "b"


def test_section_keeps_kafka_property_names() -> None:
    config = load_config(environ={"KESTRA_KAFKA_CLIENT_PROPERTIES_BOOTSTRAP_SERVERS": "127.0.0.1:9092"})
    assert config.section("kestra.kafka.client.properties") == {"bootstrap.servers": "127.0.0.1:9092"}


def test_env_values_are_yaml_scalars() -> None:
    config = load_config(environ={"KESTRA_KAFKA_DEFAULTS_TOPIC_PARTITIONS": "6"})
    assert config.get("kestra.kafka.defaults.topic.partitions") == 6


def test_camel_case_and_kebab_case_are_one_key() -> None:
    assert canonical_key("kestra.server.basicAuth.username") == canonical_key(
        "kestra.server.basic-auth.username"
    )


def test_inline_configuration_env_var() -> None:
    config = load_config(environ={"KESTRA_CONFIGURATION": "kestra:\n  queue:\n    type: kafka\n"})
    assert config.require("kestra.queue.type") == "kafka"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yml", environ={})


def test_require_names_the_missing_key() -> None:
    with pytest.raises(ConfigError, match=r"kestra\.queue\.type"):
        load_config(environ={}).require("kestra.queue.type")
