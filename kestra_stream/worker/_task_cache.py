"""``taskCache`` (Kestra 0.24+): the outputs of a runnable task reused by a later run with the same
rendered definition until ``ttl`` expires, as Kestra's worker does.

Keyed as Kestra keys it: the SHA-256 of the task definition rendered with the run's variables (plus a
placeholder ``workingDir``, as Kestra adds), per flow and per task run ``value`` (loop iterations are
cached apart). Only SUCCESS/WARNING attempts are stored; an expired entry is deleted when looked up.
The entry lives in internal storage where Kestra puts it (``/<ns>/<flow>/<key>/cache/…``), as JSON
(Kestra: a zip of ``outputs.ion``; the entries are not shared with a Kestra instance anyway).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from kestra_stream.plugins.base import RunnableTask
from kestra_stream.runtime import TaskRunContext
from kestra_stream.storage import Storage, StorageFileNotFoundError, namespace_path, read_bytes

__all__ = ["TaskOutputCache"]


class TaskOutputCache:
    """The cache entry of one task run attempt (built only when ``taskCache.enabled``)."""

    def __init__(
        self, *, storage: Storage, path: str, ttl_seconds: float | None, clock: Callable[[], float]
    ) -> None:
        self._storage = storage
        self._path = path
        self._ttl = ttl_seconds
        self._clock = clock

    @classmethod
    def for_attempt(
        cls,
        task: RunnableTask,
        definition: Mapping[str, Any],
        context: TaskRunContext,
        *,
        clock: Callable[[], float] = time.time,
    ) -> TaskOutputCache | None:
        cache = task.task_cache
        if cache is None or not cache.enabled:
            return None
        identity = context.identity
        try:
            rendered = context.render(dict(definition), {"workingDir": "workingDir"})
            key = hashlib.sha256(orjson.dumps(rendered, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()
        except Exception as error:
            context.logger.error(f"Unable to create the cache key for the task '{task.id}': {error}")
            return None
        # Kestra's layout (cachePrefix): <ns>/<flow>/<key>/cache[/<md5 of the value>]/cache.zip
        prefix = f"{namespace_path(identity.namespace)}/{identity.flow_id}/{key}/cache"
        if identity.value:
            prefix += "/" + hashlib.md5(identity.value.encode(), usedforsecurity=False).hexdigest()
        path = f"{prefix}/cache.json"
        ttl = cache.ttl.total_seconds() if cache.ttl is not None else None
        return cls(storage=context.storage, path=path, ttl_seconds=ttl, clock=clock)

    def load(self) -> dict[str, Any] | None:
        """The cached outputs, or None (missing, expired: then deleted, unreadable)."""
        try:
            entry = orjson.loads(read_bytes(self._storage, self._path))
        except (StorageFileNotFoundError, FileNotFoundError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("outputs"), dict):
            return None
        created = entry.get("created")
        if self._ttl is not None and (
            not isinstance(created, int | float) or self._clock() > created + self._ttl
        ):
            self._storage.delete(self._path)
            return None
        outputs: dict[str, Any] = entry["outputs"]
        return outputs

    def store(self, outputs: Mapping[str, Any]) -> None:
        entry = {"created": self._clock(), "outputs": dict(outputs)}
        self._storage.put(self._path, orjson.dumps(entry, default=str))
