"""``/namespaces/{namespace}/files``: namespace files in internal storage under
``/{namespace path}/_files/`` (Kestra's layout). Storage has no directories: an empty directory is
kept as a hidden ``.kestradir`` marker file so it can be listed."""

from __future__ import annotations

import asyncio
import io
import posixpath
import re
import zipfile
from typing import Any

from aiohttp import web

from kestra_stream.storage import (
    FileInfo,
    InvalidStorageUriError,
    namespace_files_prefix,
    read_bytes,
    storage_path,
)
from kestra_stream.webserver.errors import bad_request, invalid, not_found
from kestra_stream.webserver.http import attachment, json_response, read_multipart, required_query, services
from kestra_stream.webserver.routing import ARRAY, OBJECT, Body, q, route
from kestra_stream.webserver.services import WebServices

MARKER = ".kestradir"
NAMESPACE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")


def _relative(path: str) -> str:
    cleaned = posixpath.normpath("/" + path.strip()).lstrip("/")
    if cleaned in ("", "."):
        return ""
    if ".." in cleaned.split("/"):
        raise invalid(f"Invalid path `{path}`")
    return cleaned


def _uri(namespace: str, relative: str) -> str:
    if not NAMESPACE.match(namespace):
        raise invalid(f"Invalid namespace `{namespace}`")
    try:
        base = namespace_files_prefix(namespace)
    except ValueError as error:
        raise invalid(str(error)) from None
    return "kestra://" + (base + "/" + relative if relative else base)


def _listing(svc: WebServices, namespace: str) -> list[tuple[str, FileInfo]]:
    """Every stored file of the namespace as (relative path, info)."""
    base = storage_path(_uri(namespace, ""))
    return [(storage_path(info.uri)[len(base) + 1 :], info) for info in svc.storage.list(_uri(namespace, ""))]


def _attributes(name: str, kind: str, size: int = 0) -> dict[str, Any]:
    return {"fileName": name, "type": kind, "size": size, "lastModifiedTime": 0, "creationTime": 0}


def _stats(svc: WebServices, namespace: str, relative: str) -> dict[str, Any] | None:
    if relative == "":
        return _attributes("", "Directory")
    files = _listing(svc, namespace)
    for path, info in files:
        if path == relative:
            return _attributes(posixpath.basename(relative), "File", info.size)
    if any(path.startswith(relative + "/") for path, _ in files):
        return _attributes(posixpath.basename(relative), "Directory")
    return None


async def get_file(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, relative = request.match_info["namespace"], _relative(required_query(request, "path"))
    try:
        data = await asyncio.to_thread(read_bytes, svc.storage, _uri(namespace, relative))
    except FileNotFoundError:
        raise not_found(f"File '{relative}' not found in namespace '{namespace}'") from None
    return web.Response(body=data, content_type="application/octet-stream")


async def upload_file(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, relative = request.match_info["namespace"], _relative(required_query(request, "path"))
    if not relative:
        raise invalid("a file path is required")
    data: bytes | None = None
    if request.content_type.startswith("multipart/"):
        data = next((part.data for part in await read_multipart(request) if part.name == "fileContent"), None)
    else:
        data = await request.read()
    if data is None:
        raise bad_request("Required part [fileContent] not specified")
    if (
        relative.endswith(".zip")
        and zipfile.is_zipfile(io.BytesIO(data))
        and request.query.get("unzip") == "true"
    ):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if not name.endswith("/"):
                    await asyncio.to_thread(
                        svc.storage.put, _uri(namespace, _relative(name)), archive.read(name)
                    )
    else:
        await asyncio.to_thread(svc.storage.put, _uri(namespace, relative), data)
    return web.Response(status=200)


async def delete_file(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, relative = request.match_info["namespace"], _relative(required_query(request, "path"))
    uri = _uri(namespace, relative)
    removed = await asyncio.to_thread(svc.storage.delete, uri)
    removed_children = await asyncio.to_thread(svc.storage.delete_prefix, uri + "/") if relative else []
    if not removed and not removed_children:
        raise not_found(f"File '{relative}' not found in namespace '{namespace}'")
    return web.Response(status=204)


async def move_file(request: web.Request) -> web.Response:
    svc = services(request)
    namespace = request.match_info["namespace"]
    source, target = _relative(required_query(request, "from")), _relative(required_query(request, "to"))

    def move() -> int:
        moved = 0
        for path, info in _listing(svc, namespace):
            if path == source or path.startswith(source + "/"):
                svc.storage.put(
                    _uri(namespace, target + path[len(source) :]), read_bytes(svc.storage, info.uri)
                )
                svc.storage.delete(info.uri)
                moved += 1
        return moved

    if await asyncio.to_thread(move) == 0:
        raise not_found(f"File '{source}' not found in namespace '{namespace}'")
    return web.Response(status=200)


async def stats(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, relative = request.match_info["namespace"], _relative(request.query.get("path") or "")
    found = await asyncio.to_thread(_stats, svc, namespace, relative)
    if found is None:
        raise not_found(f"File '{relative}' not found in namespace '{namespace}'")
    return json_response(found)


async def list_directory(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, relative = request.match_info["namespace"], _relative(request.query.get("path") or "")
    prefix = relative + "/" if relative else ""
    entries: dict[str, dict[str, Any]] = {}
    for path, info in await asyncio.to_thread(_listing, svc, namespace):
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        head, sep, _ = rest.partition("/")
        if sep:
            entries.setdefault(head, _attributes(head, "Directory"))
        elif head != MARKER:
            entries[head] = _attributes(head, "File", info.size)
    if relative and not entries and await asyncio.to_thread(_stats, svc, namespace, relative) is None:
        raise not_found(f"Directory '{relative}' not found in namespace '{namespace}'")
    return json_response(
        sorted(entries.values(), key=lambda item: (item["type"] != "Directory", item["fileName"]))
    )


async def create_directory(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, relative = request.match_info["namespace"], _relative(request.query.get("path") or "")
    if not relative:
        raise invalid("a directory path is required")
    await asyncio.to_thread(svc.storage.put, _uri(namespace, f"{relative}/{MARKER}"), b"")
    return web.Response(status=200)


async def search_files(request: web.Request) -> web.Response:
    svc = services(request)
    text = required_query(request, "q").lower()
    paths = [path for path, _ in await asyncio.to_thread(_listing, svc, request.match_info["namespace"])]
    return json_response(sorted(p for p in paths if text in p.lower() and not p.endswith(MARKER)))


async def export_files(request: web.Request) -> web.Response:
    svc = services(request)
    namespace = request.match_info["namespace"]

    def build() -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, info in _listing(svc, namespace):
                if not path.endswith(MARKER):
                    archive.writestr(path, read_bytes(svc.storage, info.uri))
        return buffer.getvalue()

    return web.Response(
        body=await asyncio.to_thread(build),
        content_type="application/octet-stream",
        headers={"Content-Disposition": attachment(f"{namespace}_files.zip")},
    )


BASE = "/namespaces/{namespace}/files"
PATH = (q("path", required=True),)
ROUTES = [
    route(
        "GET",
        BASE + "/stats",
        stats,
        "Attributes of a namespace file",
        "Files",
        params=(q("path"),),
        response=OBJECT,
        statuses=(200, 404, 422),
    ),
    route(
        "GET",
        BASE + "/directory",
        list_directory,
        "List a directory",
        "Files",
        params=(q("path"),),
        response=ARRAY,
        statuses=(200, 404, 422),
    ),
    route(
        "POST",
        BASE + "/directory",
        create_directory,
        "Create a directory",
        "Files",
        params=(q("path"),),
        statuses=(200, 422),
    ),
    route(
        "GET",
        BASE + "/search",
        search_files,
        "Search namespace files",
        "Files",
        params=(q("q", required=True),),
        response=ARRAY,
        statuses=(200, 400),
    ),
    route(
        "GET",
        BASE + "/export",
        export_files,
        "Export namespace files as a ZIP",
        "Files",
        response_type="application/octet-stream",
        response=None,
    ),
    route(
        "GET",
        BASE,
        get_file,
        "Get a namespace file",
        "Files",
        params=PATH,
        response_type="application/octet-stream",
        response=None,
        statuses=(200, 400, 404, 422),
    ),
    route(
        "POST",
        BASE,
        upload_file,
        "Upload a namespace file",
        "Files",
        params=PATH,
        body=Body(
            "multipart/form-data",
            {"type": "object", "properties": {"fileContent": {"type": "string", "format": "binary"}}},
        ),
        statuses=(200, 400, 422),
    ),
    route(
        "PUT",
        BASE,
        move_file,
        "Move a namespace file or directory",
        "Files",
        params=(q("from", required=True), q("to", required=True)),
        statuses=(200, 400, 404, 422),
    ),
    route(
        "DELETE",
        BASE,
        delete_file,
        "Delete a namespace file or directory",
        "Files",
        params=PATH,
        statuses=(204, 400, 404, 422),
    ),
]
_ = InvalidStorageUriError
