"""Management endpoints with the webserver's dependencies: a required one down is DOWN (503), an
optional one (Elasticsearch) down degrades: reported, status still UP. Liveness ignores both."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import orjson
import pytest
from aiohttp.test_utils import TestClient

from kestra_stream.server.management import DEPENDENCIES, ManagementServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, orjson.loads(error.read())


@pytest.fixture
def management() -> Iterator[int]:
    server = ManagementServer(port=_free_port(), health=lambda: {"executor": True}, host="127.0.0.1")
    server.start()
    yield server.port
    server.stop()
    for name in ("kafka-test", "elasticsearch-test"):
        DEPENDENCIES.unregister(name)


async def test_webserver_registers_its_dependency(
    client: TestClient[object, object], management: int
) -> None:
    status, body = get(management, "/health")
    assert status == 200 and body["details"] == {"executor": "UP", "webserver": "UP"}


def test_optional_down_degrades_required_down_fails(management: int) -> None:
    DEPENDENCIES.register("elasticsearch-test", lambda: False, required=False)
    status, body = get(management, "/health/readiness")
    assert status == 200 and body["status"] == "UP"
    assert body["details"]["elasticsearch-test"] == "DOWN"  # type: ignore[index]

    DEPENDENCIES.register("kafka-test", lambda: (_ for _ in ()).throw(RuntimeError("unreachable")))
    status, body = get(management, "/health/readiness")
    assert status == 503 and body["status"] == "DOWN"
    status, body = get(management, "/health/liveness")
    assert status == 200 and body["details"] == {"executor": "UP"}
