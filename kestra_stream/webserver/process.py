"""Running the web app in a process: services from the configuration, the indexer when the
repository lives in this process (memory), and the aiohttp server on ``--port``.

``server local``/``standalone``/``webserver`` call :func:`run_webserver`; with an engine (a started
:class:`~kestra_stream.server.Server`) the web app shares its queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from kestra_stream.config import Config
from kestra_stream.queue import MemoryQueue, Queue, queue_from_config
from kestra_stream.repository import ElasticsearchRepository, MemoryRepository, Repository
from kestra_stream.server.ports import API_PORT_SETTING, listening_socket
from kestra_stream.storage import Storage, storage_from_config
from kestra_stream.webserver.app import build_app
from kestra_stream.webserver.health import register_health, unregister_health
from kestra_stream.webserver.services import WebServices

if TYPE_CHECKING:
    from kestra_stream.server import Server

log = structlog.get_logger(__name__)

INDEXER_KEY: web.AppKey[asyncio.Task[None]] = web.AppKey("indexer", asyncio.Task)


def repository_from_config(config: Config, queue: Queue) -> Repository:
    default = "memory" if isinstance(queue, MemoryQueue) else "elasticsearch"
    kind = str(config.get("kestra.repository.type") or default).lower()
    if kind == "memory":
        return MemoryRepository()
    return ElasticsearchRepository.from_config(config)


def web_storage(config: Config) -> Storage:
    """The configured storage; ``local`` without a base path uses the same temp dir as the server."""
    if str(config.get("kestra.storage.type", "local")) == "local" and not config.get(
        "kestra.storage.local.base-path"
    ):
        base = Path(tempfile.gettempdir()) / "kestra-stream" / "storage"
        config = config.with_overrides({"kestra.storage.local.base-path": str(base)})
    return storage_from_config(config)


def services_from_config(
    config: Config, *, queue: Queue | None = None, repository: Repository | None = None
) -> WebServices:
    queue = queue or queue_from_config(config)
    return WebServices(
        config=config,
        queue=queue,
        repository=repository or repository_from_config(config, queue),
        storage=web_storage(config),
    )


def with_indexer(app: web.Application, services: WebServices) -> None:
    """Run the indexer in the app's event loop (its repository is only reachable from here)."""
    from kestra_stream.indexer import Indexer, IndexerOptions

    indexer = Indexer(
        queue=services.queue,
        writer=services.repository.writer,
        options=IndexerOptions.from_config(services.config),
    )

    async def start(app: web.Application) -> None:
        app[INDEXER_KEY] = asyncio.create_task(indexer.run(), name="indexer")

    async def stop(app: web.Application) -> None:
        indexer.stop()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(app[INDEXER_KEY], 10)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


def web_application(
    config: Config,
    *,
    queue: Queue | None = None,
    repository: Repository | None = None,
    run_indexer: bool | None = None,
) -> web.Application:
    """``repository``: one shared with the engine (a memory one filled by the engine's indexer).
    ``run_indexer`` defaults to: a memory repository of this app's own needs this app's indexer."""
    services = services_from_config(config, queue=queue, repository=repository)
    app = build_app(services=services)
    if run_indexer is None:
        run_indexer = repository is None and isinstance(services.repository, MemoryRepository)
    if run_indexer:
        with_indexer(app, services)

    async def close_repository(_: web.Application) -> None:
        await services.repository.close()

    if repository is None:
        app.on_cleanup.append(close_repository)

    async def health_on(_: web.Application) -> None:
        register_health(services, asyncio.get_running_loop())

    async def health_off(_: web.Application) -> None:
        unregister_health()

    app.on_startup.append(health_on)
    app.on_cleanup.append(health_off)
    return app


def engine_repository(engine: Server | None) -> Repository | None:
    """The repository the web app shares with the engine of its process, if any.

    A memory repository filled by the engine's indexer is shared (one repository, one indexer per
    process: ``server local``, ``standalone`` on the memory queue). An Elasticsearch one is not: its
    client belongs to the indexer thread's event loop, so the web app builds its own from the
    configuration (same indices) and runs no indexer as long as the engine runs one.
    """
    if engine is None or not isinstance(engine.repository, MemoryRepository):
        return None
    return engine.repository


def api_socket(port: int) -> socket.socket:
    """The API's listening socket (``--port``); a taken port is a :class:`PortUnavailableError`."""
    return listening_socket("0.0.0.0", port, purpose="API port", setting=API_PORT_SETTING)


def run_webserver(
    config: Config,
    *,
    port: int,
    engine: Server | None = None,
    run_indexer: bool | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; then stop the engine (if any) gracefully. ``sock``: the API port
    already bound (before the engine started), else it is bound here."""
    sock = sock or api_socket(port)
    shared = engine_repository(engine)
    if engine is not None and engine.indexer is not None:
        run_indexer = False  # the engine indexes (into ``shared`` or Elasticsearch): never twice
    app = web_application(
        config, queue=engine.queue if engine is not None else None, repository=shared, run_indexer=run_indexer
    )
    if engine is None:
        _with_management(app, config)
    else:

        async def stop_engine(_: web.Application) -> None:
            await asyncio.to_thread(engine.stop)

        app.on_shutdown.append(stop_engine)
    log.info("webserver.starting", port=port)
    web.run_app(app, sock=sock, print=None)


def run_server_with_web(config: Config, *, port: int, **plan: object) -> None:
    """``server local``/``standalone``: the engine's roles in threads, the web app (and, while the
    server does not run one, the indexer) in the main thread's event loop."""
    from kestra_stream.server import Server, ServerPlan, configure_logging

    configure_logging()
    start_with_web(config, Server(config=config, plan=ServerPlan(**plan)), port=port)  # type: ignore[arg-type]


def start_with_web(config: Config, engine: Server, *, port: int) -> None:
    """Bind the API port, start ``engine``, then serve: a taken port stops the process first."""
    sock = api_socket(port)
    try:
        engine.start()
    except BaseException:
        sock.close()
        raise
    run_webserver(config, port=port, engine=engine, sock=sock)


def _with_management(app: web.Application, config: Config) -> None:
    """``server webserver`` has no engine to open the management port: the web app does."""
    from kestra_stream.server import ManagementServer, ServerSettings

    management = ManagementServer(port=ServerSettings.from_config(config).management_port, health=dict)

    async def start(_: web.Application) -> None:
        management.start()

    async def stop(_: web.Application) -> None:
        management.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
