"""The namespace key-value store (``KVStore`` protocol) with TTLs."""

from kestra_stream.kv._entry import InvalidKVKeyError, KVEntry, KVKeyExistsError, check_key
from kestra_stream.kv._stores import Clock, InMemoryKVStore, StorageKVStore, local_kv_store
from kestra_stream.plugins.context import KVStore

__all__ = [
    "Clock",
    "InMemoryKVStore",
    "InvalidKVKeyError",
    "KVEntry",
    "KVKeyExistsError",
    "KVStore",
    "StorageKVStore",
    "check_key",
    "local_kv_store",
]
