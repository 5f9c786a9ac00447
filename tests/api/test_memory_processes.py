"""``server local`` and ``server standalone`` on the memory queue as real processes: one repository per
process (the engine's, filled by the engine's indexer and shared with the web app), so what runs is
searchable through the API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from api_backends import AUTH, PASSWORD, REPO, USER, _cli, _free_port, _wait_for_ping
from api_helpers import YAML, hello_flow

from kestra_stream.webserver.process import engine_repository


def _env(tmp_path: Path, management: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESTRA_") or k.startswith("KESTRA_TEST_")}
    env.update(
        {
            "KESTRA_QUEUE_TYPE": "memory",
            "KESTRA_STORAGE_LOCAL_BASE_PATH": str(tmp_path / "storage"),
            "KESTRA_SERVER_BASIC_AUTH_USERNAME": USER,
            "KESTRA_SERVER_BASIC_AUTH_PASSWORD": PASSWORD,
            "KESTRA_INDEXER_BATCH_DURATION": "PT0.1S",
            "KESTRA_CONFIGURATION": f"endpoints:\n  all:\n    port: {management}\n",
        }
    )
    return env


@pytest.fixture(params=["local", "standalone"])
def memory_process(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    flows = tmp_path / "flows"
    flows.mkdir()
    port = _free_port()
    command = [*_cli(), "server", request.param, "--port", str(port), "-f", str(flows)]
    if request.param == "standalone":
        command += ["--worker-thread", "2"]
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=_env(tmp_path, _free_port()), stdout=output, stderr=subprocess.STDOUT, cwd=REPO
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_ping(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


async def test_execution_is_searchable_through_the_api(memory_process: str, unique: str) -> None:
    api = memory_process + "/api/v1/main"
    async with aiohttp.ClientSession(headers={"Authorization": AUTH}) as session:

        async def call(method: str, path: str, **kwargs: Any) -> Any:
            async with session.request(method, api + path, **kwargs) as response:
                text = await response.text()
                assert response.status == 200, f"{method} {path}: {response.status} {text}"
                return await response.json()

        await call("POST", "/flows", data=hello_flow(unique), headers=YAML)
        created = await call("POST", f"/executions/{unique}/hello")
        deadline = time.monotonic() + 30
        results: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            page = await call("GET", f"/executions/search?filters[namespace][EQUALS]={unique}")
            results = page["results"]
            if results and results[0]["state"]["current"] == "SUCCESS":
                break
            await asyncio.sleep(0.2)
        assert [(e["id"], e["state"]["current"]) for e in results] == [(created["id"], "SUCCESS")], results
        flows = await call("GET", f"/flows/search?filters[namespace][EQUALS]={unique}")
        assert [flow["id"] for flow in flows["results"]] == ["hello"]
        logs = await call("GET", f"/logs/{created['id']}")
        assert any(line["message"] == "hello v1" for line in logs), logs


def test_the_web_app_shares_only_a_memory_repository() -> None:
    from kestra_stream.config import Config
    from kestra_stream.queue import MemoryQueue
    from kestra_stream.server import Server, ServerPlan

    assert engine_repository(None) is None
    without = Server(config=Config(), plan=ServerPlan(management=False), queue=MemoryQueue())
    assert engine_repository(without) is None  # no indexer in the engine: the app runs its own
    with_indexer = Server(
        config=Config(), plan=ServerPlan(management=False, indexer=True), queue=MemoryQueue()
    )
    with_indexer._start_indexer()  # the repository is made at start
    try:
        assert with_indexer.repository is not None
        assert engine_repository(with_indexer) is with_indexer.repository
    finally:
        with_indexer.stop()
