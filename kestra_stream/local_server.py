"""``server local``: the whole engine in one process on the in-memory queue, plus the web app.

The web app is still a placeholder (``/ping`` and a page); the API comes with the webserver.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from kestra_stream.config import Config

_PLACEHOLDER = (
    "<!doctype html><title>kestra-stream</title><h1>kestra-stream</h1>"
    "<p>The engine runs in this process; the API and the UI are not built yet: this server only "
    "answers <code>/ping</code>.</p>"
)
EXAMPLE_FLOWS = Path(__file__).resolve().parent.parent / "examples" / "flows"


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


def run_local(*, config: Config, port: int, flows_path: Path | None = None) -> None:
    from kestra_stream.server import Server, ServerPlan, configure_logging

    configure_logging()
    config = config.with_overrides({"kestra.queue.type": "memory", "kestra.server-type": "STANDALONE"})
    if flows_path is None and EXAMPLE_FLOWS.is_dir():
        flows_path = EXAMPLE_FLOWS
    engine = Server(config=config, plan=ServerPlan(flows_path=flows_path))
    engine.start()
    app = build_app(config=config)
    app["engine"] = engine

    async def stop_engine(_: web.Application) -> None:
        engine.stop()

    app.on_shutdown.append(stop_engine)
    web.run_app(app, host="0.0.0.0", port=port, print=None)
