"""``/api/v1/plugins`` (Kestra 1.3's path, also under ``/api/v1/main``): the installed plugins
grouped as Kestra lists them, and JSON schemas for the editor (flow schema, one plugin's schema)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from functools import lru_cache
from typing import Any

import orjson
from aiohttp import web

from kestra_stream import __version__
from kestra_stream.flows import flow_json_schema, plugin_json_schema
from kestra_stream.plugins.base import Condition, FlowableTask, Plugin, Task, TaskRunner, Trigger
from kestra_stream.plugins.registry import PluginRegistry, UnknownPluginError
from kestra_stream.webserver.errors import invalid, not_found
from kestra_stream.webserver.http import json_response, services
from kestra_stream.webserver.routing import ARRAY, OBJECT, Scope, q, route

_KINDS: tuple[tuple[str, type[Plugin]], ...] = (
    ("tasks", Task),
    ("triggers", Trigger),
    ("conditions", Condition),
    ("taskRunners", TaskRunner),
)
SCHEMA_TYPES = ("FLOW", "TASK", "TRIGGER", "PLUGINDEFAULT")


def _group(type_name: str) -> str:
    parts = type_name.split(".")
    return ".".join(parts[:4]) if len(parts) > 4 else ".".join(parts[:-1])


def plugin_list(registry: PluginRegistry) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {name: [] for name, _ in _KINDS} | {"controllers": [], "storages": [], "secrets": []}
    )
    for cls in registry.plugins():
        group = groups[_group(cls.plugin_type)]
        for name, kind in _KINDS:
            if issubclass(cls, kind):
                group[name].append(cls.plugin_type)
    return [
        {
            "name": name.rsplit(".", 1)[-1],
            "title": name.rsplit(".", 1)[-1],
            "group": name,
            "version": __version__,
            "categories": [],
            **members,
        }
        for name, members in sorted(groups.items())
    ]


@lru_cache(maxsize=1)
def _flow_schema_bytes(registry_id: int, registry: PluginRegistry) -> bytes:
    return orjson.dumps(flow_json_schema(registry))


async def list_plugins(request: web.Request) -> web.Response:
    return json_response(plugin_list(services(request).registry))


async def schema_of_type(request: web.Request) -> web.Response:
    registry = services(request).registry
    kind = request.match_info["type"].upper()
    if kind not in SCHEMA_TYPES:
        raise not_found(f"No schema for `{kind}` (known: {', '.join(SCHEMA_TYPES)})")
    body = await asyncio.to_thread(_flow_schema_bytes, id(registry), registry)
    schema = orjson.loads(body)
    if kind != "FLOW":
        wanted = {"TASK": "Task", "TRIGGER": "Trigger", "PLUGINDEFAULT": "PluginDefault"}[kind]
        schema = {"$schema": schema.get("$schema"), "$ref": f"#/$defs/{wanted}", "$defs": schema["$defs"]}
    if request.query.get("arrayOf") == "true":
        schema = {"type": "array", "items": schema}
    return json_response(schema)


async def plugin_doc(request: web.Request) -> web.Response:
    registry = services(request).registry
    type_name = request.match_info["cls"]
    try:
        schema = plugin_json_schema(type_name, registry)
    except UnknownPluginError as error:
        raise not_found(str(error)) from None
    cls = registry.resolve(type_name)
    markdown = f"# {cls.plugin_type}\n\n{(cls.__doc__ or '').strip()}\n"
    return json_response({"markdown": markdown, "schema": schema, "flowable": issubclass(cls, FlowableTask)})


async def plugin_icons(request: web.Request) -> web.Response:
    registry = services(request).registry
    return json_response(
        {
            cls.plugin_type: {
                "name": cls.plugin_type.rsplit(".", 1)[-1],
                "icon": None,
                "flowable": issubclass(cls, FlowableTask),
            }
            for cls in registry.plugins()
        }
    )


async def flow_schema_for_ide(request: web.Request) -> web.Response:
    registry = services(request).registry
    return web.Response(
        body=await asyncio.to_thread(_flow_schema_bytes, id(registry), registry),
        content_type="application/json",
    )


ROUTES = [
    route(
        "GET", "/plugins", list_plugins, "Installed plugins", "Plugins", scope=Scope.TENANT, response=ARRAY
    ),
    route(
        "GET",
        "/plugins/icons",
        plugin_icons,
        "Plugin icons",
        "Plugins",
        scope=Scope.TENANT,
        response=OBJECT,
    ),
    route(
        "GET",
        "/plugins/schemas/{type}",
        schema_of_type,
        "JSON schema of flows, tasks or triggers",
        "Plugins",
        scope=Scope.TENANT,
        params=(q("arrayOf", "boolean"),),
        response=OBJECT,
        statuses=(200, 404),
    ),
    route(
        "GET",
        "/plugins/{cls}",
        plugin_doc,
        "Documentation and schema of a plugin",
        "Plugins",
        scope=Scope.TENANT,
        params=(q("all", "boolean"),),
        response=OBJECT,
        statuses=(200, 404),
    ),
    route(
        "GET", "/schemas/flow.json", flow_schema_for_ide, "Flow JSON schema (IDE)", "Plugins", response=OBJECT
    ),
]
_ = invalid
