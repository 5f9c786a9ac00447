"""Shared fixtures: where the real services are (started by ``deploy/infra.sh up``).

Addresses come from the ``KESTRA_TEST_*`` variables (from the environment, else from the env
file infra.sh writes to ``.infra/state/env``) and fall back to the default ports. A fixture whose
service does not answer makes the test FAIL with a message saying how to start it: an
unreachable service is a broken setup, never a skip.
"""

from __future__ import annotations

import os
import shlex
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest


def _load_infra_env() -> None:
    """Take unset variables from the env file of the last `deploy/infra.sh up` (if any)."""
    repo = Path(__file__).resolve().parents[1]
    env_file = Path(os.environ.get("KESTRA_INFRA_STATE", repo / ".infra" / "state")) / "env"
    if not env_file.is_file():
        return
    for line in env_file.read_text().splitlines():
        for word in shlex.split(line, comments=True):
            name, sep, value = word.partition("=")
            if sep and name != "export":
                os.environ.setdefault(name, value)


_load_infra_env()

KAFKA_BOOTSTRAP = os.environ.get("KESTRA_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
KAFKA_CLUSTER_BOOTSTRAP = os.environ.get(
    "KESTRA_TEST_KAFKA_CLUSTER_BOOTSTRAP", "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:39092"
)
ES_URL = os.environ.get("KESTRA_TEST_ES_URL", "http://127.0.0.1:9200")
S3_ENDPOINT = os.environ.get("KESTRA_TEST_S3_ENDPOINT", "http://127.0.0.1:9000")
S3_ACCESS_KEY = os.environ.get("KESTRA_TEST_S3_ACCESS_KEY", "minioadmin")
S3_SECRET_KEY = os.environ.get("KESTRA_TEST_S3_SECRET_KEY", "minioadmin")
PG_URL = os.environ.get("KESTRA_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:55432/postgres")
PG_USER = os.environ.get("KESTRA_TEST_PG_USER", "kestra")
PG_PASSWORD = os.environ.get("KESTRA_TEST_PG_PASSWORD", "kestra-test-pw")


def _reachable(hostport: str, timeout: float = 2.0) -> bool:
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, addresses: str, how: str = "deploy/infra.sh up") -> None:
    """Fail the test unless every comma-separated host:port (or URL) accepts TCP connections."""
    for address in addresses.split(","):
        hostport = urlsplit(address).netloc if "://" in address else address
        if not _reachable(hostport):
            pytest.fail(f"{name} is not reachable at {hostport}: start it with `{how}`", pytrace=False)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    require_service("Kafka", KAFKA_BOOTSTRAP)
    return KAFKA_BOOTSTRAP


@pytest.fixture(scope="session")
def kafka_cluster_bootstrap() -> str:
    require_service(
        "The 3-broker Kafka cluster", KAFKA_CLUSTER_BOOTSTRAP, "deploy/infra.sh up --kafka-brokers 3"
    )
    return KAFKA_CLUSTER_BOOTSTRAP


@pytest.fixture(scope="session")
def es_url() -> str:
    require_service("Elasticsearch", ES_URL)
    return ES_URL


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    require_service("The S3 server", S3_ENDPOINT)
    return S3_ENDPOINT


@dataclass(frozen=True)
class Postgres:
    """The PostgreSQL server of ``deploy/infra.sh up`` (JDBC URL and credentials, as flows use them)."""

    url: str
    username: str
    password: str

    @property
    def hostport(self) -> str:
        return urlsplit(self.url.removeprefix("jdbc:")).netloc


@pytest.fixture(scope="session")
def postgres() -> Postgres:
    server = Postgres(url=PG_URL, username=PG_USER, password=PG_PASSWORD)
    require_service("PostgreSQL", server.hostport)
    return server


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A lowercase name unique to this test run (valid as topic, index and bucket name)."""
    test = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")[:30]
    return f"t-{test}-{uuid.uuid4().hex[:10]}"
