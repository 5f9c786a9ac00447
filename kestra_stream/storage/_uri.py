"""``kestra://`` URIs and their normalised storage paths, with the path traversal guard."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

SCHEME = "kestra"
_FORBIDDEN = ("\x00", "\\")


class InvalidStorageUriError(ValueError):
    pass


def storage_path(uri_or_path: str) -> str:
    """The normalised absolute path (``/a/b/c``) of a ``kestra:///a/b/c`` URI or a ``/a/b/c`` path.

    Rejects ``..``/``.`` segments, backslashes and NULs so a rendered URI cannot leave the storage root.
    """
    raw = uri_or_path
    if "://" in raw:
        parts = urlsplit(raw)
        if parts.scheme != SCHEME:
            raise InvalidStorageUriError(f"not an internal storage URI: {raw!r}")
        if parts.netloc:
            raise InvalidStorageUriError(f"internal storage URIs have no host (kestra:///...): {raw!r}")
        raw = unquote(parts.path)
    if not raw.startswith("/"):
        raise InvalidStorageUriError(f"storage path must be absolute: {uri_or_path!r}")
    if any(char in raw for char in _FORBIDDEN):
        raise InvalidStorageUriError(f"forbidden character in storage path: {uri_or_path!r}")
    segments = [segment for segment in raw.split("/") if segment]
    if any(segment in (".", "..") for segment in segments):
        raise InvalidStorageUriError(f"path traversal in storage path: {uri_or_path!r}")
    return "/" + "/".join(segments)


def storage_uri(path: str) -> str:
    """The ``kestra:///…`` URI of a storage path (percent-encoded like Kestra's ``URI`` objects)."""
    return f"{SCHEME}://" + quote(storage_path(path), safe="/-_.~!$&'()*+,;=:@")


def is_storage_uri(value: object) -> bool:
    return isinstance(value, str) and value.startswith(f"{SCHEME}://")


def safe_relative_path(name: str) -> str:
    """A relative file name (``a/b.txt``) that cannot escape the directory it is joined to."""
    if not name or name.startswith("/") or any(char in name for char in _FORBIDDEN):
        raise InvalidStorageUriError(f"invalid relative file name: {name!r}")
    segments = [segment for segment in name.split("/") if segment and segment != "."]
    if not segments or ".." in segments:
        raise InvalidStorageUriError(f"invalid relative file name: {name!r}")
    return "/".join(segments)
