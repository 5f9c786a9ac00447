"""The internal storage contract shared by every backend."""

from __future__ import annotations

import builtins
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

CHUNK_SIZE = 1024 * 1024


class StorageFileNotFoundError(FileNotFoundError):
    def __init__(self, uri: str) -> None:
        super().__init__(f"file not found in internal storage: {uri}")
        self.uri = uri


@dataclass(frozen=True, kw_only=True)
class FileInfo:
    uri: str
    size: int
    updated: datetime | None = None
    """Last modification, when the backend knows it."""


class Storage(Protocol):
    """A blob store addressed by ``kestra:///…`` URIs (or their ``/…`` paths).

    Reads and writes stream: ``put`` accepts a binary file object, ``get`` yields one.
    """

    def put(self, uri: str, data: bytes | BinaryIO) -> str:
        """Store ``data`` (replacing any file there); return the canonical ``kestra:///`` URI."""

    def get(self, uri: str) -> AbstractContextManager[BinaryIO]:
        """Open a file for streaming reads; raises :class:`StorageFileNotFoundError`."""

    def exists(self, uri: str) -> bool: ...

    def size(self, uri: str) -> int: ...

    def list(self, uri: str) -> list[FileInfo]:
        """Every file under the ``uri`` prefix (recursively), sorted by URI."""

    def delete(self, uri: str) -> bool:
        """Remove one file; ``False`` if there was none."""

    def delete_prefix(self, uri: str) -> builtins.list[str]:
        """Remove every file under the prefix; return their URIs."""


def read_bytes(storage: Storage, uri: str) -> bytes:
    with storage.get(uri) as stream:
        return stream.read()
