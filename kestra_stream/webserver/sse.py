"""Server-sent events in Micronaut's framing, as Kestra emits them: ``id:`` names the event
(``start``, ``progress``, ``end``) and ``data:`` carries JSON."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from kestra_stream.webserver.http import to_jsonable


async def open_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    return response


async def send_event(response: web.StreamResponse, event_id: str, data: Any) -> None:
    payload = orjson.dumps(to_jsonable(data)).decode()
    await response.write(f"id: {event_id}\ndata: {payload}\n\n".encode())


async def send_comment(response: web.StreamResponse) -> None:
    """A keep-alive line clients ignore (proxies close idle streams otherwise)."""
    await response.write(b":\n\n")
