"""The webserver's dependencies on the management port: the queue is required (writes and
followers), Elasticsearch optional (only reads fail without it: the status is degraded, not down)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from kestra_stream.queue import KafkaQueue
from kestra_stream.repository import ElasticsearchRepository
from kestra_stream.server.management import DEPENDENCIES
from kestra_stream.webserver.services import WebServices

_CACHE_SECONDS = 2.0


class _Cached:
    """A probe run at most every few seconds (health endpoints get polled by every probe)."""

    def __init__(self, probe: Callable[[], bool]) -> None:
        self._probe = probe
        self._lock = threading.Lock()
        self._at = 0.0
        self._value = True

    def __call__(self) -> bool:
        with self._lock:
            if time.monotonic() - self._at > _CACHE_SECONDS:
                self._value = self._probe()
                self._at = time.monotonic()
            return self._value


def kafka_probe(queue: KafkaQueue) -> Callable[[], bool]:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(dict(queue.options.client_properties))

    def probe() -> bool:
        try:
            admin.list_topics(timeout=2)
            return True
        except Exception:
            return False

    return probe


def elasticsearch_probe(
    repository: ElasticsearchRepository, loop: asyncio.AbstractEventLoop
) -> Callable[[], bool]:
    client = repository.backend._client  # the repository's own client, on its own loop

    def probe() -> bool:
        try:
            return bool(asyncio.run_coroutine_threadsafe(client.ping(), loop).result(3))
        except Exception:
            return False

    return probe


def register_health(services: WebServices, loop: asyncio.AbstractEventLoop) -> None:
    DEPENDENCIES.register("webserver", services.followers_healthy, required=True)
    if isinstance(services.queue, KafkaQueue):
        DEPENDENCIES.register("kafka", _Cached(kafka_probe(services.queue)), required=True)
    if isinstance(services.repository, ElasticsearchRepository):
        DEPENDENCIES.register(
            "elasticsearch", _Cached(elasticsearch_probe(services.repository, loop)), required=False
        )


def unregister_health() -> None:
    for name in ("webserver", "kafka", "elasticsearch"):
        DEPENDENCIES.unregister(name)
