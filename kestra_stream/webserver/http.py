"""Small request/response helpers shared by the route modules."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel

from kestra_stream.repository import PagedResults
from kestra_stream.webserver.errors import bad_request, invalid
from kestra_stream.webserver.services import SERVICES_KEY, WebServices

TENANT = "main"


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, PagedResults):
        return {"results": [to_jsonable(item) for item in value.results], "total": value.total}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    return value


def json_response(value: Any, *, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(to_jsonable(value), option=orjson.OPT_NON_STR_KEYS),
        content_type="application/json",
    )


def paged(results: Iterable[Any], total: int) -> web.Response:
    return json_response({"results": list(results), "total": total})


def query_bool(request: web.Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise invalid(f"`{name}` must be true or false, got `{value}`")


def query_int(request: web.Request, name: str, default: int | None = None) -> int | None:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise invalid(f"`{name}` must be an integer, got `{value}`") from None


def required_query(request: web.Request, name: str) -> str:
    value = request.query.get(name)
    if value is None or value == "":
        raise bad_request(f"Required QueryValue [{name}] not specified")
    return value


async def json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        raise invalid("a JSON body is required")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise invalid(f"Invalid JSON: {error}") from None


async def text_body(request: web.Request) -> str:
    raw = await request.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("the body must be UTF-8 text") from None


def services(request: web.Request) -> WebServices:
    return request.app[SERVICES_KEY]


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value safe for any name (control characters and quotes dropped)."""
    safe = "".join(char for char in filename if char.isprintable() and char not in '"\\') or "download"
    ascii_name = safe.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(safe)}"


@dataclass(frozen=True, slots=True)
class FormPart:
    name: str
    filename: str | None
    data: bytes

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


async def read_multipart(request: web.Request) -> list[FormPart]:
    """Every part of a ``multipart/form-data`` body, read whole; a malformed body is a 400."""
    if not request.content_type.startswith("multipart/"):
        raise bad_request("a multipart/form-data body is expected")
    parts: list[FormPart] = []
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader):
                data = bytes(await part.read(decode=False))
                parts.append(FormPart(part.name or "", part.filename, data))
    except (ValueError, AssertionError, HttpProcessingError) as error:
        raise bad_request(f"Invalid multipart body: {error}") from None
    return parts
