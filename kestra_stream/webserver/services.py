"""Everything the routes use: the queue (writes), the repository (reads), internal storage, the
followers of the queue and the credentials. Built once per process by whoever starts the web app."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kestra_stream import __version__
from kestra_stream.config import Config
from kestra_stream.flows import global_plugin_defaults
from kestra_stream.kv import StorageKVStore
from kestra_stream.plugins.registry import PluginRegistry
from kestra_stream.plugins.registry import registry as default_registry
from kestra_stream.queue import Queue, TopicLike
from kestra_stream.repository import Repository
from kestra_stream.runtime import rendering_engine
from kestra_stream.storage import Storage
from kestra_stream.webserver.followers import ExecutionStates, FlowView, LogStream

DEFAULT_OPEN_URLS = ("/ping", "/api/v1/main/executions/webhook/", "/api/v1/executions/webhook/")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, dict):  # env vars / indexed YAML keys load lists as {"0": ..., "1": ...}
        return [str(item) for _, item in sorted(value.items())]
    return [str(item) for item in value]


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True, kw_only=True)
class WebSettings:
    url: str = "http://localhost:8080/"
    open_urls: tuple[str, ...] = DEFAULT_OPEN_URLS
    realm: str = "Kestra"
    config_username: str | None = None
    config_password: str | None = None
    wait_timeout: float = 3600.0
    follow_existence_timeout: float = 10.0
    system_namespace: str = "system"
    ui_path: str | None = None
    version: str = __version__
    environment: dict[str, str] = field(default_factory=dict)
    preview_initial_rows: int = 100
    preview_max_rows: int = 5000

    @classmethod
    def from_config(cls, config: Config) -> WebSettings:
        open_urls = _as_list(config.get("kestra.server.basic-auth.open-urls"))
        environment = {
            key: str(value)
            for key, value in (
                ("name", config.get("kestra.environment.name")),
                ("color", config.get("kestra.environment.color")),
            )
            if value
        }
        return cls(
            url=str(config.get("kestra.url") or "http://localhost:8080/"),
            open_urls=tuple(dict.fromkeys([*DEFAULT_OPEN_URLS, *open_urls])),
            realm=str(config.get("kestra.server.basic-auth.realm") or "Kestra"),
            config_username=config.get("kestra.server.basic-auth.username"),
            config_password=config.get("kestra.server.basic-auth.password"),
            system_namespace=str(config.get("kestra.system-flows.namespace") or "system"),
            ui_path=config.get("kestra.webserver.ui-path"),
            environment=environment,
            preview_initial_rows=_as_int(config.get("kestra.server.preview.initial-rows"), 100),
            preview_max_rows=_as_int(config.get("kestra.server.preview.max-rows"), 5000),
        )


class WebServices:
    def __init__(
        self,
        *,
        config: Config,
        queue: Queue,
        repository: Repository,
        storage: Storage,
        registry: PluginRegistry | None = None,
        settings: WebSettings | None = None,
    ) -> None:
        from kestra_stream.webserver.auth import Credentials

        self.config = config
        self.queue = queue
        self.repository = repository
        self.storage = storage
        self.registry = registry or default_registry
        self.settings = settings or WebSettings.from_config(config)
        self.kv = StorageKVStore(storage=storage)
        self.engine = rendering_engine(storage=storage)
        self.flows = FlowView(queue=queue, defaults=list(global_plugin_defaults(config)))
        self.executions = ExecutionStates(queue=queue)
        self.logs = LogStream(queue=queue)
        self.credentials = Credentials(storage=storage, settings=self.settings)
        self._started = False

    def start(self) -> None:
        """Read the flows topic to its end, then follow it, execution states and logs."""
        if self._started:
            return
        self.flows.catch_up()
        for follower in (self.flows, self.executions, self.logs):
            follower.start()
        self._started = True

    def close(self) -> None:
        for follower in (self.flows, self.executions, self.logs):
            follower.close()
        self._started = False

    async def send(self, topic: TopicLike, *, key: bytes | None, value: bytes | None) -> None:
        """Produce one record and wait until the queue acknowledged it."""
        loop = asyncio.get_running_loop()
        delivered: asyncio.Future[None] = loop.create_future()

        def on_delivery(error: Exception | None) -> None:
            def settle() -> None:
                if delivered.done():
                    return
                if error is None:
                    delivered.set_result(None)
                else:
                    delivered.set_exception(error)

            loop.call_soon_threadsafe(settle)

        self.queue.producer().produce(topic, key=key, value=value, on_delivery=on_delivery)
        await asyncio.wait_for(delivered, 30)

    def followers_healthy(self) -> bool:
        return all(follower.healthy for follower in (self.flows, self.executions, self.logs))

    def open_urls(self) -> Sequence[str]:
        return self.settings.open_urls


SERVICES_KEY: web.AppKey[WebServices] = web.AppKey("services", WebServices)
