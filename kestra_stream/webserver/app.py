"""The web application: every route module mounted, errors in Kestra's shape, basic auth."""

from __future__ import annotations

import asyncio

from aiohttp import web

from kestra_stream.webserver import (
    auth,
    execution_actions,
    executions,
    flows,
    instance,
    kv,
    logs,
    metrics,
    namespace_files,
    namespaces,
    plugins,
    stats,
    triggers,
    webhooks,
)
from kestra_stream.webserver.errors import error_middleware
from kestra_stream.webserver.openapi import openapi_routes
from kestra_stream.webserver.routing import Route, register
from kestra_stream.webserver.services import SERVICES_KEY, WebServices
from kestra_stream.webserver.ui import add_ui_routes

MAX_UPLOAD = 1024**3


def api_routes() -> list[Route]:
    """Every API route, literal paths before parameterised ones of the same shape."""
    return [
        *instance.ROUTES,
        *auth.ROUTES,
        *plugins.ROUTES,
        *flows.ROUTES,
        *webhooks.ROUTES,
        *stats.ROUTES,
        *execution_actions.ROUTES,
        *executions.ROUTES,
        *executions.CREATE_ROUTES,
        *logs.ROUTES,
        *metrics.ROUTES,
        *triggers.ROUTES,
        *kv.ROUTES,
        *namespace_files.ROUTES,
        *namespaces.ROUTES,
    ]


def build_app(*, services: WebServices, manage_services: bool = True) -> web.Application:
    """The aiohttp application. With ``manage_services`` the app starts the services' followers on
    startup and stops them on cleanup; otherwise the caller does."""
    app = web.Application(middlewares=[error_middleware, auth.auth_middleware], client_max_size=MAX_UPLOAD)
    app[SERVICES_KEY] = services
    routes = api_routes()
    register(app, [*routes, *openapi_routes(routes)])
    add_ui_routes(app, services.settings.ui_path)
    register(app, [instance.HOME])
    if manage_services:

        async def start(_: web.Application) -> None:
            await asyncio.to_thread(services.start)

        async def stop(_: web.Application) -> None:
            await asyncio.to_thread(services.close)

        app.on_startup.append(start)
        app.on_cleanup.append(stop)
    return app
