"""Internal storage on a local directory (``kestra.storage.type: local``)."""

from __future__ import annotations

import builtins
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from kestra_stream.storage._protocol import CHUNK_SIZE, FileInfo, StorageFileNotFoundError
from kestra_stream.storage._uri import InvalidStorageUriError, storage_path, storage_uri

DEFAULT_TENANT = "main"


class LocalStorage:
    def __init__(self, *, base_path: Path | str, tenant: str = DEFAULT_TENANT) -> None:
        self._root = Path(base_path).resolve()
        self._tenant_root = self._root / tenant
        self._tenant_root.mkdir(parents=True, exist_ok=True)

    @property
    def base_path(self) -> Path:
        return self._root

    def _file(self, uri: str) -> tuple[str, Path]:
        path = storage_path(uri)
        target = (self._tenant_root / path.lstrip("/")).resolve()
        # A symlink planted inside the base path must not lead out of it either.
        if target != self._tenant_root and self._tenant_root not in target.parents:
            raise InvalidStorageUriError(f"storage path escapes the base path: {uri!r}")
        return path, target

    def put(self, uri: str, data: bytes | BinaryIO) -> str:
        path, target = self._file(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename so readers never see a half-written file.
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                if isinstance(data, bytes | bytearray | memoryview):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, CHUNK_SIZE)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return storage_uri(path)

    @contextmanager
    def get(self, uri: str) -> Iterator[BinaryIO]:
        _, target = self._file(uri)
        try:
            stream = target.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StorageFileNotFoundError(uri) from None
        with stream:
            yield stream

    def exists(self, uri: str) -> bool:
        return self._file(uri)[1].is_file()

    def size(self, uri: str) -> int:
        target = self._file(uri)[1]
        if not target.is_file():
            raise StorageFileNotFoundError(uri)
        return target.stat().st_size

    def list(self, uri: str) -> list[FileInfo]:
        path, target = self._file(uri)
        if target.is_file():
            return [_info(storage_uri(path), target)]
        if not target.is_dir():
            return []
        found = []
        for file in target.rglob("*"):
            if file.is_file() and not file.name.startswith(".tmp-"):
                relative = file.relative_to(self._tenant_root).as_posix()
                try:
                    found.append(_info(storage_uri("/" + relative), file))
                except FileNotFoundError:  # deleted by another task since the directory was read
                    continue
        return sorted(found, key=lambda info: info.uri)

    def delete(self, uri: str) -> bool:
        target = self._file(uri)[1]
        if not target.is_file():
            return False
        try:
            target.unlink()
        except FileNotFoundError:  # another task deleted it first
            return False
        return True

    def delete_prefix(self, uri: str) -> builtins.list[str]:
        deleted = [info.uri for info in self.list(uri)]
        for file_uri in deleted:
            self._file(file_uri)[1].unlink(missing_ok=True)
        target = self._file(uri)[1]
        if target.is_dir() and target != self._tenant_root:
            shutil.rmtree(target, ignore_errors=True)
        return deleted


def _info(uri: str, file: Path) -> FileInfo:
    stat = file.stat()
    return FileInfo(uri=uri, size=stat.st_size, updated=datetime.fromtimestamp(stat.st_mtime, UTC))
