"""The web UI under ``/ui/``: static files of a built UI with single-page-app fallback to
``index.html``. The directory is ``kestra.webserver.ui-path`` or ``kestra_stream/webserver/ui_dist``;
without a build a small placeholder page answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

UI_DIST = Path(__file__).resolve().parent / "ui_dist"
_PLACEHOLDER = (
    "<!doctype html><title>kestra-stream</title><h1>kestra-stream</h1>"
    "<p>The API is served under <code>/api/v1/main</code> (<a href='/api/v1/openapi.json'>OpenAPI</a>); "
    "no UI build was found.</p>"
)


def ui_directory(configured: str | None) -> Path | None:
    directory = Path(configured) if configured else UI_DIST
    return directory if (directory / "index.html").is_file() else None


def ui_handler(directory: Path | None) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    root = directory.resolve() if directory is not None else None

    async def serve(request: web.Request) -> web.StreamResponse:
        if root is None:
            return web.Response(text=_PLACEHOLDER, content_type="text/html")
        tail = request.match_info.get("tail", "")
        candidate = (root / tail).resolve()
        if tail and candidate.is_file() and candidate.is_relative_to(root):
            return web.FileResponse(candidate)
        return web.FileResponse(root / "index.html", headers={"Cache-Control": "no-cache"})

    return serve


def add_ui_routes(app: web.Application, configured: str | None) -> None:
    handler = ui_handler(ui_directory(configured))
    app.router.add_get("/ui", handler)
    app.router.add_get("/ui/{tail:.*}", handler)
