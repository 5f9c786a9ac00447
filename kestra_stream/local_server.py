"""``server local``: the whole engine in one process on the in-memory queue, plus the web app.

The web app is the webserver's (``kestra_stream.webserver``): the API, basic auth and the UI hook.
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
    from kestra_stream.webserver.process import start_with_web

    engine = Server(config=config, plan=ServerPlan(flows_path=flows_path, indexer=True, scheduler=True))
    start_with_web(config, engine, port=port)
