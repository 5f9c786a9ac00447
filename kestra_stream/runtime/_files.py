"""Resolving the universal file protocol (``kestra://``, ``nsfile://``, ``file://``) to storage reads."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kestra_stream.storage import CHUNK_SIZE, Storage, namespace_file


class FileAccessError(PermissionError):
    pass


def copy_to_local(
    *,
    storage: Storage,
    uri: str,
    destination: Path,
    namespace: str,
    allowed_local_paths: Sequence[Path],
) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    parts = urlsplit(uri)
    if parts.scheme == "file":
        source = Path(unquote(parts.path)).resolve()
        if not any(source == root or root in source.parents for root in allowed_local_paths):
            raise FileAccessError(f"the file `{source}` is not authorized (kestra.local-files.allowed-paths)")
        shutil.copyfile(source, destination)
        return destination
    if parts.scheme == "nsfile":
        # nsfile:///path is the current namespace; nsfile://other.ns/path another one.
        storage_uri = namespace_file(parts.netloc or namespace, unquote(parts.path))
    elif parts.scheme == "kestra":
        storage_uri = uri
    else:
        raise FileAccessError(f"unsupported file URI scheme in `{uri}` (kestra://, nsfile://, file://)")
    with storage.get(storage_uri) as source_stream, destination.open("wb") as out:
        shutil.copyfileobj(source_stream, out, CHUNK_SIZE)
    return destination
