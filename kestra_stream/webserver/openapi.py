"""The OpenAPI document, generated from the route table (``/api/v1/openapi.json``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from kestra_stream import __version__
from kestra_stream.webserver.http import json_response
from kestra_stream.webserver.routing import TENANT_PREFIXES, Route, Scope, route

_PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "_embedded": {"type": "object"},
        "_links": {"type": "object"},
    },
    "required": ["message"],
}
_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No content",
    302: "Redirect",
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    409: "Conflict",
    410: "Gone",
    422: "Invalid entity",
}


def _documented_path(item: Route) -> str:
    path = TENANT_PREFIXES[0] + item.path if item.scope is Scope.TENANT else item.mounted_paths()[0]
    return _PATH_PARAM.sub(lambda match: "{" + match.group(1) + "}", path)


def _parameters(item: Route, path: str) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(path)
    ]
    for param in item.params:
        schema: dict[str, Any] = {"type": param.type}
        if param.enum:
            schema["enum"] = list(param.enum)
        if param.repeated:
            schema = {"type": "array", "items": schema}
        parameters.append(
            {
                "name": param.name,
                "in": param.location,
                "required": param.required,
                "description": param.description,
                "schema": schema,
            }
        )
    return parameters


def _responses(item: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in item.statuses:
        reason = _REASONS.get(status, "Response")
        if status in (200, 202) and (item.response is not None or item.response_type != "application/json"):
            schema = item.response if item.response is not None else {"type": "string", "format": "binary"}
            responses[str(status)] = {
                "description": reason,
                "content": {item.response_type: {"schema": schema}},
            }
        elif status >= 400:
            responses[str(status)] = {
                "description": reason,
                "content": {"application/json": {"schema": ERROR_SCHEMA}},
            }
        else:
            responses[str(status)] = {"description": reason}
    if item.path.startswith("/") and item.scope is not Scope.ROOT:
        responses.setdefault("401", {"description": "Unauthorized"})
    return responses


def _operation_id(item: Route, path: str) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "_", path.removeprefix("/api/v1")).strip("_")
    return f"{item.method.lower()}_{words}"


def openapi_document(routes: Iterable[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for item in routes:
        path = _documented_path(item)
        operation: dict[str, Any] = {
            "operationId": _operation_id(item, path),
            "summary": item.summary,
            "tags": [item.tag],
            "parameters": _parameters(item, path),
            "responses": _responses(item),
        }
        if item.body is not None:
            operation["requestBody"] = {
                "required": item.body.required,
                "content": {item.body.content_type: {"schema": item.body.schema}},
            }
        paths.setdefault(path, {})[item.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "kestra-stream API",
            "version": __version__,
            "description": "Kestra's REST API (OSS 1.x) served by kestra-stream. Every `/api/v1/main/...` "
            "route is also mounted under the legacy `/api/v1/...`.",
        },
        "components": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}}},
        "security": [{"basicAuth": []}],
        "paths": paths,
    }


def openapi_routes(routes: list[Route]) -> list[Route]:
    document: dict[str, Any] = {}

    async def serve(_: web.Request) -> web.Response:
        if not document:
            document.update(openapi_document(routes))
        return json_response(document)

    return [
        route(
            "GET",
            "/openapi.json",
            serve,
            "This OpenAPI document",
            "Misc",
            scope=Scope.INSTANCE,
            response={"type": "object"},
        ),
        route(
            "GET",
            "/swagger/kestra.json",
            serve,
            "This OpenAPI document",
            "Misc",
            scope=Scope.ROOT,
            response={"type": "object"},
        ),
    ]
