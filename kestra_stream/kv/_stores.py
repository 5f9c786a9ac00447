"""KV stores: in memory, and on internal storage (``/{ns}/_kv/{key}.ion``) as Kestra does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from kestra_stream.kv._entry import KVEntry, KVKeyExistsError, check_key, ttl_seconds
from kestra_stream.storage import LocalStorage, Storage, StorageFileNotFoundError, kv_prefix, read_bytes

Clock = Callable[[], float]


class _BaseKVStore:
    """Shared TTL/overwrite logic; subclasses only load, save, drop and list raw entries."""

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()

    def _load(self, namespace: str, key: str) -> KVEntry | None:
        raise NotImplementedError

    def _save(self, namespace: str, entry: KVEntry) -> None:
        raise NotImplementedError

    def _drop(self, namespace: str, key: str) -> bool:
        raise NotImplementedError

    def _all_keys(self, namespace: str) -> list[str]:
        raise NotImplementedError

    def entry(self, namespace: str, key: str) -> KVEntry | None:
        """The live entry with its metadata; expired entries behave as missing."""
        found = self._load(namespace, check_key(key))
        if found is None or found.expired(self._clock()):
            return None
        return found

    def get(self, namespace: str, key: str) -> Any | None:
        found = self.entry(namespace, key)
        return None if found is None else found.value

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl: str | timedelta | None = None,
        overwrite: bool = True,
    ) -> None:
        check_key(key)
        lifetime = ttl_seconds(ttl)
        with self._lock:
            now = self._clock()
            previous = self.entry(namespace, key)
            if previous is not None and not overwrite:
                raise KVKeyExistsError(namespace, key)
            self._save(
                namespace,
                KVEntry(
                    key=key,
                    value=value,
                    created=previous.created if previous else now,
                    updated=now,
                    expires_at=None if lifetime is None else now + lifetime,
                ),
            )

    def delete(self, namespace: str, key: str) -> bool:
        with self._lock:
            live = self.entry(namespace, key) is not None
            dropped = self._drop(namespace, check_key(key))
            return live and dropped

    def keys(self, namespace: str, prefix: str | None = None) -> list[str]:
        return sorted(
            key
            for key in self._all_keys(namespace)
            if (prefix is None or key.startswith(prefix)) and self.entry(namespace, key) is not None
        )

    def purge_expired(self, namespace: str) -> list[str]:
        """Remove expired pairs (what ``PurgeKV`` and Kestra's cleaner do)."""
        return self.purge(namespace, lambda entry, now: entry.expired(now))

    def purge(self, namespace: str, selected: Callable[[KVEntry, float], bool]) -> list[str]:
        """Remove the pairs (expired ones included) for which ``selected(entry, now)`` holds."""
        now = self._clock()
        purged = []
        for key in self._all_keys(namespace):
            found = self._load(namespace, key)
            if found is not None and selected(found, now) and self._drop(namespace, key):
                purged.append(key)
        return sorted(purged)


class InMemoryKVStore(_BaseKVStore):
    def __init__(self, *, clock: Clock = time.time) -> None:
        super().__init__(clock=clock)
        self._data: dict[tuple[str, str], KVEntry] = {}

    def _load(self, namespace: str, key: str) -> KVEntry | None:
        return self._data.get((namespace, key))

    def _save(self, namespace: str, entry: KVEntry) -> None:
        self._data[(namespace, entry.key)] = entry

    def _drop(self, namespace: str, key: str) -> bool:
        return self._data.pop((namespace, key), None) is not None

    def _all_keys(self, namespace: str) -> list[str]:
        return [key for ns, key in self._data if ns == namespace]


class StorageKVStore(_BaseKVStore):
    """Pairs as JSON documents in internal storage, so every worker sees them (local dir or S3)."""

    _SUFFIX = ".ion"

    def __init__(self, *, storage: Storage, clock: Clock = time.time) -> None:
        super().__init__(clock=clock)
        self._storage = storage

    def _uri(self, namespace: str, key: str) -> str:
        return f"{kv_prefix(namespace)}/{key}{self._SUFFIX}"

    def _load(self, namespace: str, key: str) -> KVEntry | None:
        try:
            return KVEntry.from_json(orjson.loads(read_bytes(self._storage, self._uri(namespace, key))))
        except StorageFileNotFoundError:
            return None

    def _save(self, namespace: str, entry: KVEntry) -> None:
        self._storage.put(self._uri(namespace, entry.key), orjson.dumps(entry.to_json()))

    def _drop(self, namespace: str, key: str) -> bool:
        return self._storage.delete(self._uri(namespace, key))

    def _all_keys(self, namespace: str) -> list[str]:
        prefix = kv_prefix(namespace)
        keys = []
        for info in self._storage.list(prefix):
            name = info.uri.rsplit("/", 1)[-1]
            if name.endswith(self._SUFFIX) and info.uri.endswith(f"{prefix}/{name}"):
                keys.append(name[: -len(self._SUFFIX)])
        return keys


def local_kv_store(*, base_path: Path | str, clock: Clock = time.time) -> StorageKVStore:
    """A KV store in a local directory (the layout of a ``local`` internal storage)."""
    return StorageKVStore(storage=LocalStorage(base_path=base_path), clock=clock)
