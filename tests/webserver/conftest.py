"""The API through a real aiohttp server on the in-memory backend: MemoryQueue, the real executor and
worker (``Server``), the indexer into a MemoryRepository, local storage in a temp dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web_runner import BaseRunner
from web_helpers import AUTH, PASSWORD, USER

from kestra_stream.config import Config
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.server import Server, ServerPlan, ServerSettings
from kestra_stream.webserver.process import web_application


def memory_config(tmp_path: Path) -> Config:
    return Config().with_overrides(
        {
            "kestra.storage.local.base-path": str(tmp_path / "storage"),
            "kestra.server.basic-auth.username": USER,
            "kestra.server.basic-auth.password": PASSWORD,
            "kestra.indexer.batch-duration": "PT0.05S",
            "kestra.url": "http://localhost:8080/",
        }
    )


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Server]:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=4))
    server = Server(
        config=memory_config(tmp_path),
        plan=ServerPlan(management=False, worker_threads=2),
        queue=queue,
        settings=ServerSettings(heartbeat_interval=0.5),
    )
    server.start()
    yield server
    server.stop()


class RunAppServer(TestServer):
    """A TestServer whose handlers run as under ``web.run_app`` (``process.py``): not cancelled when
    their client disconnects. aiohttp's TestServer sets ``handler_cancellation=True``, so a handler
    parked in an await is cancelled there; in production it meets the closed connection on its next
    write instead."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return await super()._make_runner(**{**kwargs, "handler_cancellation": False})


@pytest.fixture
async def client(engine: Server, tmp_path: Path) -> AsyncIterator[TestClient[object, object]]:
    app = web_application(memory_config(tmp_path), queue=engine.queue)
    async with TestClient(TestServer(app)) as test_client:
        test_client.session.headers.update(AUTH)
        yield test_client


@pytest.fixture
async def run_app_client(engine: Server, tmp_path: Path) -> AsyncIterator[TestClient[object, object]]:
    """``client`` with production's disconnect handling (see :class:`RunAppServer`)."""
    app = web_application(memory_config(tmp_path), queue=engine.queue)
    async with TestClient(RunAppServer(app)) as test_client:
        test_client.session.headers.update(AUTH)
        yield test_client
