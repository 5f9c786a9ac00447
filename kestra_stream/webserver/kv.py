"""``/namespaces/{namespace}/kv``: typed values with TTL. Values live in internal storage
(``/{ns}/_kv/{key}.ion``, the worker's :class:`StorageKVStore`); each write also publishes the
entry's metadata on ``kv-metadata`` so the indexer makes it searchable (``GET /kv``)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from kestra_stream.kv import KVEntry, check_key
from kestra_stream.models.durations import DurationError, parse_duration
from kestra_stream.queue import TopicRef
from kestra_stream.repository import KVMetadata, Resource, parse_search
from kestra_stream.webserver.errors import ApiError, invalid, not_found
from kestra_stream.webserver.http import TENANT, json_body, json_response, services
from kestra_stream.webserver.routing import OBJECT, PAGING, Body, many, paged_of, q, route
from kestra_stream.webserver.routing import json_body as json_doc
from kestra_stream.webserver.services import WebServices

KV_METADATA = TopicRef("kv-metadata")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def parse_value(text: str) -> Any:
    """Kestra parses a KV body as JSON/ION: ``"str"``, ``42``, ``true``, ``{...}``; anything else is
    kept as text (dates and durations stay strings and are typed on read)."""
    stripped = text.strip()
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return text


def value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "NUMBER"
    if isinstance(value, dict | list):
        return "JSON"
    if isinstance(value, str):
        if _DATE.match(value):
            return "DATE"
        if _DATETIME.match(value):
            return "DATETIME"
        if _DURATION.match(value):
            return "DURATION"
    return "STRING"


def _instant(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _metadata(namespace: str, entry: KVEntry, description: str | None) -> KVMetadata:
    return KVMetadata.model_validate(
        {
            "tenantId": TENANT,
            "namespace": namespace,
            "key": entry.key,
            "description": description,
            "creationDate": _instant(entry.created),
            "updateDate": _instant(entry.updated),
            "expirationDate": _instant(entry.expires_at),
        }
    )


async def _descriptions(svc: WebServices, namespace: str) -> dict[str, str | None]:
    try:
        return {
            m.key: m.description for m in await svc.repository.kv.list_by_namespace(namespace, tenant=TENANT)
        }
    except Exception:  # descriptions are a nicety: a repository outage must not hide the values
        return {}


async def list_keys(request: web.Request) -> web.Response:
    svc = services(request)
    namespace = request.match_info["namespace"]
    descriptions = await _descriptions(svc, namespace)

    def entries() -> list[KVEntry]:
        return [
            entry for key in svc.kv.keys(namespace) if (entry := svc.kv.entry(namespace, key)) is not None
        ]

    found = await asyncio.to_thread(entries)
    return json_response([_metadata(namespace, entry, descriptions.get(entry.key)) for entry in found])


def _key(request: web.Request) -> str:
    return check_key(request.match_info["key"])


async def get_value(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, key = request.match_info["namespace"], _key(request)
    entry = await asyncio.to_thread(svc.kv._load, namespace, key)  # private on purpose: expired answers 410
    if entry is None:
        raise not_found(f"No value found for key '{key}' in namespace '{namespace}'")
    if entry.expired(datetime.now(UTC).timestamp()):
        raise ApiError(410, f"The requested value has expired: key '{key}' in namespace '{namespace}'")
    return json_response({"type": value_type(entry.value), "value": entry.value})


async def put_value(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, key = request.match_info["namespace"], _key(request)
    raw = (await request.read()).decode(errors="replace")
    value = parse_value(raw)
    ttl = request.headers.get("ttl") or None
    if ttl is not None:
        try:
            if parse_duration(ttl).total_seconds() <= 0:
                raise invalid(f"Invalid ttl `{ttl}`: must be positive")
        except (DurationError, ValueError) as error:
            raise invalid(f"Invalid ttl `{ttl}`: {error}") from None
    await asyncio.to_thread(svc.kv.set, namespace, key, value, ttl=ttl)
    entry = await asyncio.to_thread(svc.kv.entry, namespace, key)
    if entry is not None:
        metadata = _metadata(namespace, entry, request.headers.get("description"))
        await svc.send(KV_METADATA, key=f"{TENANT}/{namespace}/{key}".encode(), value=metadata.to_json())
    return web.Response(status=200)


async def delete_value(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, key = request.match_info["namespace"], _key(request)
    deleted = await _delete(svc, namespace, key)
    return json_response(deleted)


async def _delete(svc: WebServices, namespace: str, key: str) -> bool:
    deleted = await asyncio.to_thread(svc.kv.delete, namespace, key)
    if deleted:
        await svc.send(KV_METADATA, key=f"{TENANT}/{namespace}/{key}".encode(), value=None)
    return deleted


async def delete_values(request: web.Request) -> web.Response:
    svc = services(request)
    namespace = request.match_info["namespace"]
    body = await json_body(request)
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list):
        raise invalid("expected {keys: [...]}")
    deleted = [str(key) for key in keys if await _delete(svc, namespace, check_key(str(key)))]
    return json_response({"keys": deleted})


async def search_kv(request: web.Request) -> web.Response:
    page = await services(request).repository.kv.search(
        parse_search(request.query, resource=Resource.KV_METADATA, tenant=TENANT)
    )
    return json_response(page)


ONE = "/namespaces/{namespace}/kv/{key}"
ROUTES = [
    route(
        "GET",
        "/kv",
        search_kv,
        "Search KV entries",
        "KV",
        params=(*PAGING, q("filters"), q("q")),
        response=paged_of(KVMetadata),
        statuses=(200, 422),
    ),
    route(
        "GET",
        "/namespaces/{namespace}/kv",
        list_keys,
        "KV entries of a namespace",
        "KV",
        response=many(KVMetadata),
    ),
    route(
        "DELETE",
        "/namespaces/{namespace}/kv",
        delete_values,
        "Delete KV entries",
        "KV",
        body=json_doc(
            {"type": "object", "properties": {"keys": {"type": "array", "items": {"type": "string"}}}}
        ),
        response=OBJECT,
        statuses=(200, 422),
    ),
    route(
        "GET",
        ONE,
        get_value,
        "Get a KV value with its type",
        "KV",
        response=OBJECT,
        statuses=(200, 404, 410, 422),
    ),
    route(
        "PUT",
        ONE,
        put_value,
        "Set a KV value",
        "KV",
        body=Body("text/plain", {"type": "string"}),
        params=(q("ttl", location="header"), q("description", location="header")),
        statuses=(200, 422),
    ),
    route(
        "DELETE",
        ONE,
        delete_value,
        "Delete a KV value",
        "KV",
        response={"type": "boolean"},
        statuses=(200, 422),
    ),
]
