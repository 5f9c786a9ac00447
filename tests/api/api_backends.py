"""Backends of the API suite (fixtures re-exported by conftest.py):

* ``memory``: the web app in this process (aiohttp test server on a real port) with the real
  executor and worker on a MemoryQueue and the indexer into a MemoryRepository;
* ``kafka``: ``kestra-stream server standalone --port P`` as a subprocess on the running Kafka and
  Elasticsearch (``deploy/infra.sh up``), with topics and indices under a prefix unique to the run.

Every test gets an :class:`Api` (an authenticated aiohttp session on the server's base URL).
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from kestra_stream.config import Config
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.repository import Repository
from kestra_stream.server import Server, ServerPlan, ServerSettings
from kestra_stream.webserver.process import web_application

USER = "admin@kestra.io"
PASSWORD = "Kestra123"
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Api:
    base_url: str
    session: aiohttp.ClientSession
    backend: str

    def url(self, path: str) -> str:
        return self.base_url + path

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.session.request(method, self.url(path), **kwargs)

    async def json(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        async with self.request(method, path, **kwargs) as response:
            text = await response.text()
            assert response.status == expect, f"{method} {path}: {response.status} {text}"
            return await response.json() if text else None

    async def create_flow(self, source: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "POST", "/api/v1/main/flows", data=source, headers={"Content-Type": "application/x-yaml"}
        )
        return result  # executable at once: the executor catches its flow cache up on a miss

    async def run(
        self, namespace: str, flow_id: str, *, inputs: dict[str, Any] | None = None, **params: str
    ) -> Any:
        form = aiohttp.FormData()
        for key, value in (inputs or {}).items():
            form.add_field(key, value)
        return await self.json(
            "POST",
            f"/api/v1/main/executions/{namespace}/{flow_id}",
            params=params,
            data=form if inputs else None,
        )

    async def eventually(self, path: str, predicate: Any, timeout: float = 30.0) -> Any:
        """GET ``path`` until ``predicate(json)`` holds (reads that wait for the indexer)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            async with self.request("GET", path) as response:
                if response.status == 200:
                    last = await response.json()
                    if predicate(last):
                        return last
            await asyncio.sleep(0.2)
        raise AssertionError(f"GET {path}: condition not met in {timeout}s, last: {last}")

    async def wait_state(self, execution_id: str, *states: str, timeout: float = 30.0) -> Any:
        return await self.eventually(
            f"/api/v1/main/executions/{execution_id}", lambda e: e["state"]["current"] in states, timeout
        )


def memory_config(tmp_path: Path) -> Config:
    return Config().with_overrides(
        {
            "kestra.storage.local.base-path": str(tmp_path / "storage"),
            "kestra.server.basic-auth.username": USER,
            "kestra.server.basic-auth.password": PASSWORD,
            "kestra.indexer.batch-duration": "PT0.05S",
        }
    )


@pytest.fixture
def unique() -> str:
    return "t" + uuid.uuid4().hex[:8]


# -- memory backend ---------------------------------------------------------------------------------


class MemoryServer:
    """The web app on a real port, in a thread with its own event loop (tests use another loop)."""

    def __init__(self, config: Config, queue: MemoryQueue, repository: Repository | None = None) -> None:
        """``repository``: the engine's own (its indexer fills it, as in ``server local``)."""
        self._app = web_application(
            config, queue=queue, repository=repository, run_indexer=False if repository is not None else None
        )
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(self._app)
        self._thread = threading.Thread(target=self._loop.run_forever, name="api-test-server", daemon=True)
        self.port = _free_port()

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(60)

    async def _start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextmanager
def memory_backend(
    config: Config, *, worker_threads: int = 4, scheduler: bool = True, shared_repository: bool = False
) -> Iterator[str]:
    """The engine and the web app on a MemoryQueue; the base URL. With ``shared_repository`` the
    engine's indexer fills the repository the web app reads, as in ``server local`` (what tasks that
    read the repository from the worker need)."""
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=4))
    engine = Server(
        config=config,
        plan=ServerPlan(
            management=False, worker_threads=worker_threads, scheduler=scheduler, indexer=shared_repository
        ),
        queue=queue,
        settings=ServerSettings(heartbeat_interval=0.5),
    )
    engine.start()
    server = MemoryServer(config, queue, repository=engine.repository if shared_repository else None)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()
        engine.stop()


@pytest.fixture
def memory_server(tmp_path: Path) -> Iterator[str]:
    with memory_backend(memory_config(tmp_path)) as base:
        yield base


# -- kafka + elasticsearch backend (a real standalone server process) ------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# A secret the webhook tests read through `secret()`, set in every server's environment.
WEBHOOK_SECRET_ENV = "SECRET_WEBHOOK_KEY"
WEBHOOK_SECRET_VALUE = base64.b64encode(b"s3cr3t").decode()


def standalone_env(
    prefix: str, storage: Path, port_management: int, kafka_bootstrap: str, es_url: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESTRA_") or k.startswith("KESTRA_TEST_")}
    env.update(
        {
            "KESTRA_QUEUE_TYPE": "kafka",
            "KESTRA_REPOSITORY_TYPE": "elasticsearch",
            "KESTRA_KAFKA_CLIENT_PROPERTIES_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "KESTRA_KAFKA_DEFAULTS_TOPIC_PREFIX": prefix,
            "KESTRA_KAFKA_DEFAULTS_CONSUMER_PREFIX": prefix,
            "KESTRA_KAFKA_DEFAULTS_TOPIC_PARTITIONS": "4",
            "KESTRA_ELASTICSEARCH_CLIENT_HTTP_HOSTS": es_url,
            "KESTRA_ELASTICSEARCH_DEFAULTS_INDICE_PREFIX": prefix,
            "KESTRA_STORAGE_LOCAL_BASE_PATH": str(storage),
            "KESTRA_SERVER_BASIC_AUTH_USERNAME": USER,
            "KESTRA_SERVER_BASIC_AUTH_PASSWORD": PASSWORD,
            "KESTRA_INDEXER_BATCH_DURATION": "PT0.1S",
            "KESTRA_CONFIGURATION": f"endpoints:\n  all:\n    port: {port_management}\n",
            WEBHOOK_SECRET_ENV: WEBHOOK_SECRET_VALUE,
        }
    )
    return env


def _cli() -> list[str]:
    return [sys.executable, "-m", "kestra_stream"]


@contextmanager
def standalone_backend(
    tmp_path_factory: pytest.TempPathFactory,
    kafka_bootstrap: str,
    es_url: str,
    *,
    prefix: str,
    worker_threads: int = 4,
) -> Iterator[str]:
    """``server standalone`` on Kafka + Elasticsearch under ``prefix`` (dropped afterwards); the base URL."""
    port, management = _free_port(), _free_port()
    env = standalone_env(prefix, tmp_path_factory.mktemp("storage"), management, kafka_bootstrap, es_url)
    subprocess.run([*_cli(), "indexes", "apply"], env=env, check=True, capture_output=True, timeout=120)
    log = tmp_path_factory.mktemp("logs") / "standalone.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*_cli(), "server", "standalone", "--port", str(port), "--worker-thread", str(worker_threads)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
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
        _drop_run_data(prefix, kafka_bootstrap, es_url)


@pytest.fixture(scope="session")
def kafka_server(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str, es_url: str
) -> Iterator[str]:
    prefix = f"api{uuid.uuid4().hex[:8]}_"
    with standalone_backend(tmp_path_factory, kafka_bootstrap, es_url, prefix=prefix) as base:
        yield base


def _drop_run_data(prefix: str, kafka_bootstrap: str, es_url: str) -> None:
    """The run's topics, indices and templates (everything is under its unique prefix)."""
    import urllib.request

    import orjson
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    topics = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if topics:
        for future in admin.delete_topics(topics, operation_timeout=30).values():
            future.result(timeout=30)
    with urllib.request.urlopen(f"{es_url}/_cat/indices/{prefix}*?format=json", timeout=10) as response:
        indices = [row["index"] for row in orjson.loads(response.read())]
    try:
        with urllib.request.urlopen(f"{es_url}/_index_template/{prefix}*", timeout=10) as response:
            templates = [item["name"] for item in orjson.loads(response.read()).get("index_templates", [])]
    except urllib.error.HTTPError:  # 404: no template matches
        templates = []
    for path in [*indices, *(f"_index_template/{name}" for name in templates)]:
        urllib.request.urlopen(
            urllib.request.Request(f"{es_url}/{path}", method="DELETE"), timeout=30
        ).close()


def _wait_for_ping(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"standalone server exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(base + "/ping", timeout=1) as response:
                if response.read() == b"pong":
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"standalone server did not answer /ping:\n{log.read_text()[-4000:]}")


# -- the api fixture ----------------------------------------------------------------------------------


@pytest.fixture(
    params=["memory", pytest.param("kafka", marks=[pytest.mark.kafka, pytest.mark.elasticsearch])]
)
def server_base(request: pytest.FixtureRequest) -> str:
    fixture = "memory_server" if request.param == "memory" else "kafka_server"
    base: str = request.getfixturevalue(fixture)
    return base


@pytest.fixture
async def api(server_base: str, request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    backend = "memory" if "memory" in request.node.callspec.id else "kafka"
    async with aiohttp.ClientSession(headers={"Authorization": AUTH}) as session:
        yield Api(server_base, session, backend)
