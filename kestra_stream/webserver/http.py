"""Small request/response helpers shared by the route modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from aiohttp import web
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
