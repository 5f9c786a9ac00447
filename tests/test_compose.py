"""docker-compose.kafka.yml cannot run here (no Docker engine): check its shape and its configuration keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kestra_stream.cli import main
from kestra_stream.config_keys import is_known_key

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.kafka.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ROLE_SERVICES = {"webserver", "executor", "worker-1", "worker-2", "scheduler", "indexer"}


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def _environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) for item in raw)
    return {str(key): str(value) for key, value in raw.items()}


def _kestra_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in _services().items()
        if (service.get("build") or {}).get("dockerfile") == "deploy/Dockerfile"
    }


def test_infrastructure_and_every_role_are_services() -> None:
    services = _services()
    assert {"kafka", "elasticsearch", "minio", "kestra-init"} | ROLE_SERVICES <= services.keys()
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["elasticsearch"]["image"].split(":")[-1].startswith("8.19.")
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "false"


def test_roles_run_real_server_commands() -> None:
    server = main.commands["server"]
    assert hasattr(server, "commands")
    for name in ROLE_SERVICES:
        command = _kestra_services()[name]["command"]
        assert command[0] == "server" and command[1] in server.commands, name
        assert name.startswith(command[1])
        assert _kestra_services()[name]["depends_on"]["kestra-init"]["condition"] == (
            "service_completed_successfully"
        )


def test_init_service_applies_topics_and_indexes() -> None:
    command = " ".join(_kestra_services()["kestra-init"]["command"])
    assert "kestra-stream topics apply" in command
    assert "kestra-stream indexes apply" in command
    assert {"topics", "indexes"} <= main.commands.keys()


@pytest.mark.parametrize("name", sorted(ROLE_SERVICES | {"kestra-init"}))
def test_kestra_services_are_configured_by_known_keys_only(name: str) -> None:
    environment = _environment(_kestra_services()[name])
    variables = [variable for variable in environment if variable.startswith("KESTRA_")]
    assert variables
    unknown = [variable for variable in variables if not is_known_key(variable)]
    assert not unknown, f"{name}: not configuration keys of kestra_stream/config_keys.py: {unknown}"
    assert environment["KESTRA_QUEUE_TYPE"] == "kafka"
    assert environment["KESTRA_REPOSITORY_TYPE"] == "elasticsearch"
    assert environment["KESTRA_STORAGE_TYPE"] == "minio"
    assert environment["KESTRA_KAFKA_CLIENT_PROPERTIES_BOOTSTRAP_SERVERS"].split(":")[0] in _services()
    assert re.match(r"^http://elasticsearch:9200$", environment["KESTRA_ELASTICSEARCH_CLIENT_HTTP_HOSTS"])
    assert environment["KESTRA_STORAGE_MINIO_ENDPOINT"] in _services()


def test_unknown_keys_are_caught() -> None:
    assert not is_known_key("KESTRA_KAFKA_BOOTSTRAP_SERVERS")
    assert is_known_key("KESTRA_KAFKA_CLIENT_PROPERTIES_SECURITY_PROTOCOL")


def test_dockerfile_installs_the_package_with_its_catalogs() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert "pip install ." in text
    for folder in ("topics", "indexer", "kestra_stream"):
        assert re.search(rf"^COPY {folder} \./{folder}$", text, re.MULTILINE), folder
    assert 'ENTRYPOINT ["kestra-stream"]' in text
