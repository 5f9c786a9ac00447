"""Schemathesis against the served OpenAPI document on the memory backend: whatever it sends, the
API never answers 5xx. A small example budget here; ``bench/api_fuzz.py`` runs longer."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_backends import AUTH, MemoryServer, memory_config
from hypothesis import HealthCheck, settings

from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.server import Server, ServerPlan, ServerSettings
from kestra_stream.webserver import api_routes
from kestra_stream.webserver.openapi import openapi_document

# Streams stay open until the execution ends (or wait 10 s for it to exist): not for fuzzing.
schema = schemathesis.openapi.from_dict(openapi_document(api_routes())).exclude(path_regex=r"/follow$")


@pytest.fixture(scope="module")
def fuzz_base() -> Iterator[str]:
    tmp = Path(tempfile.mkdtemp(prefix="api-fuzz-"))
    config = memory_config(tmp)
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=2))
    engine = Server(
        config=config,
        plan=ServerPlan(management=False, worker_threads=2),
        queue=queue,
        settings=ServerSettings(heartbeat_interval=1),
    )
    engine.start()
    server = MemoryServer(config, queue)
    server.start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()
    engine.stop()


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error(case: schemathesis.Case, fuzz_base: str) -> None:
    response = case.call(base_url=fuzz_base, headers={"Authorization": AUTH}, timeout=20)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    )
