"""Instance routes: ``/ping``, ``/api/v1/configs`` (the version endpoint) and ``/`` → ``/ui/``."""

from __future__ import annotations

import hashlib
import uuid

from aiohttp import web

from kestra_stream import __version__
from kestra_stream.webserver.http import json_response, services
from kestra_stream.webserver.routing import OBJECT, Scope, route

_INSTANCE_UUID = str(uuid.uuid4())


async def ping(_: web.Request) -> web.Response:
    return web.Response(text="pong")


async def home(_: web.Request) -> web.Response:
    raise web.HTTPFound("/ui/")


async def configs(request: web.Request) -> web.Response:
    svc = services(request)
    settings = svc.settings
    plugins_hash = hashlib.sha256(",".join(sorted(svc.registry.names())).encode()).hexdigest()[:16]
    return json_response(
        {
            "uuid": _INSTANCE_UUID,
            "version": settings.version,
            "edition": "OSS",
            "commitId": None,
            "commitDate": None,
            "isCustomDashboardsEnabled": False,
            "isAnonymousUsageEnabled": False,
            "isUiAnonymousUsageEnabled": False,
            "isTemplateEnabled": False,
            "environment": settings.environment or None,
            "url": settings.url,
            "preview": {"initial": settings.preview_initial_rows, "max": settings.preview_max_rows},
            "systemNamespace": settings.system_namespace,
            "hiddenLabelsPrefixes": [],
            "isAiEnabled": False,
            "isBasicAuthInitialized": svc.credentials.initialized,
            "pluginsHash": plugins_hash,
            "chartDefaultDuration": "P30D",
            "server": "kestra-stream",
            "serverVersion": __version__,
        }
    )


ROUTES = [
    route(
        "GET",
        "/ping",
        ping,
        "Liveness of the API port",
        "Misc",
        scope=Scope.ROOT,
        response_type="text/plain",
        response={"type": "string"},
    ),
    route(
        "GET",
        "/configs",
        configs,
        "Server configuration and version",
        "Misc",
        scope=Scope.INSTANCE,
        response=OBJECT,
    ),
]
HOME = route("GET", "/", home, "Redirect to the UI", "Misc", scope=Scope.ROOT, statuses=(302,))
