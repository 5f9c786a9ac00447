"""``server local`` until the engine lands: serves ``/ping`` and a page saying what is missing."""

from __future__ import annotations

from aiohttp import web

from kestra_stream.config import Config

_PLACEHOLDER = (
    "<!doctype html><title>kestra-stream</title><h1>kestra-stream</h1>"
    "<p>The engine and the UI are not built yet: this server only answers <code>/ping</code>.</p>"
)


async def _ping(_: web.Request) -> web.Response:
    return web.Response(text="pong")


async def _home(_: web.Request) -> web.Response:
    return web.Response(text=_PLACEHOLDER, content_type="text/html")


def build_app(*, config: Config) -> web.Application:
    app = web.Application()
    app["config"] = config
    app.router.add_get("/ping", _ping)
    app.router.add_get("/", _home)
    app.router.add_get("/ui/", _home)
    return app


def run_local(*, config: Config, port: int) -> None:
    web.run_app(build_app(config=config), host="0.0.0.0", port=port, print=None)
