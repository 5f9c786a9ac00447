"""One HTTP exchange with aiohttp, driven from a synchronous task and stopped on cancellation."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import orjson
from multidict import CIMultiDictProxy

from kestra_stream.models.durations import to_timedelta
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_map, as_text
from kestra_stream.plugins.core.http._options import HttpRequestTask
from kestra_stream.runtime.cancellation import CancelToken, current_token
from kestra_stream.runtime.errors import TaskFailure, TaskKilledError

T = TypeVar("T")
DEFAULT_CONTENT_TYPE = "application/json"
_FILE_SCHEMES = ("kestra://", "nsfile://", "file://")


@dataclass(frozen=True, kw_only=True)
class PreparedRequest:
    uri: str
    method: str
    headers: dict[str, str]
    data: Any
    timeout: aiohttp.ClientTimeout
    follow_redirects: bool
    verify_ssl: bool
    allow_failed: bool
    log: list[str] = field(default_factory=list)


def _seconds(value: str | None) -> float | None:
    return None if value is None else to_timedelta(value).total_seconds()


def _form(ctx: RunContext, form: Mapping[str, Any], multipart: bool) -> aiohttp.FormData:
    data = aiohttp.FormData(quote_fields=True, default_to_multipart=multipart)
    for name, value in form.items():
        if isinstance(value, Mapping) and "content" in value:
            # A file part: {name, content (URI or text), contentType}.
            content = as_text(value["content"])
            if content.startswith(_FILE_SCHEMES):
                local = ctx.get_file(content, ctx.working_dir / "form" / name)
                payload: bytes = local.read_bytes()
            else:
                payload = content.encode()
            data.add_field(
                name,
                payload,
                filename=as_text(value.get("name") or name),
                content_type=as_text(value.get("contentType") or "application/octet-stream"),
            )
        else:
            data.add_field(name, as_text(value))
    return data


def prepare(task: HttpRequestTask, ctx: RunContext) -> PreparedRequest:
    options = task.options
    headers = {str(key): as_text(value) for key, value in as_map(ctx.render(task.headers), "headers").items()}
    content_type = as_text(ctx.render(task.content_type)) if task.content_type else None
    data: Any = None
    if task.form_data is not None:
        form = as_map(ctx.render(task.form_data), "formData")
        multipart = bool(content_type and content_type.lower().startswith("multipart/"))
        data = _form(ctx, form, multipart)
    elif task.body is not None:
        body = ctx.render(task.body)
        data = (body if isinstance(body, str) else orjson.dumps(body).decode()).encode()
        if not any(key.lower() == "content-type" for key in headers):
            headers["Content-Type"] = content_type or DEFAULT_CONTENT_TYPE
    if task.auth is not None and task.auth.type == "BASIC":
        user, password = ctx.render(task.auth.username), ctx.render(task.auth.password)
        headers["Authorization"] = aiohttp.encode_basic_auth(as_text(user), as_text(password))
    elif task.auth is not None:
        headers["Authorization"] = f"Bearer {as_text(ctx.render(task.auth.token))}"
    elif options is not None and options.basic_auth_user:
        user, password = ctx.render(options.basic_auth_user), ctx.render(options.basic_auth_password)
        headers["Authorization"] = aiohttp.encode_basic_auth(as_text(user), as_text(password))
    read = _seconds(options.read_timeout) if options else None
    read_idle = _seconds(options.read_idle_timeout) if options else None
    return PreparedRequest(
        uri=as_text(ctx.render(task.uri)).strip(),
        method=task.method.upper(),
        headers=headers,
        data=data,
        timeout=aiohttp.ClientTimeout(
            total=None,
            connect=_seconds(options.connect_timeout) if options else None,
            sock_read=read_idle if read_idle is not None else read,
        ),
        follow_redirects=options.follow_redirects if options else True,
        verify_ssl=not (task.ssl_options and task.ssl_options.insecure_trust_all_certificates),
        allow_failed=task.allow_failed or bool(options and options.allow_failed),
    )


def response_headers(headers: CIMultiDictProxy[str]) -> dict[str, list[str]]:
    """Header name (lower case) → list of values, as Kestra exposes them (``headers.date | first``)."""
    grouped: dict[str, list[str]] = {}
    for key, value in headers.items():
        grouped.setdefault(key.lower(), []).append(value)
    return grouped


async def exchange(request: PreparedRequest, handle: Callable[[aiohttp.ClientResponse], Awaitable[T]]) -> T:
    async with (
        aiohttp.ClientSession(timeout=request.timeout) as session,
        session.request(
            request.method,
            request.uri,
            headers=request.headers,
            data=request.data,
            allow_redirects=request.follow_redirects,
            ssl=request.verify_ssl,
        ) as response,
    ):
        return await handle(response)


async def _watch(coroutine: Coroutine[Any, Any, T], token: CancelToken) -> T:
    work = asyncio.ensure_future(coroutine)
    while not work.done():
        await asyncio.wait({work}, timeout=0.1)
        if token.cancelled and not work.done():
            work.cancel()
            raise TaskKilledError(f"HTTP request cancelled: {token.reason}")
    return work.result()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a private event loop (in a helper thread if this thread already runs one)."""
    token = current_token()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _translate(lambda: asyncio.run(_watch(coroutine, token)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        context = contextvars.copy_context()
        future = pool.submit(context.run, asyncio.run, _watch(coroutine, token))
        return _translate(future.result)


def _translate(call: Callable[[], T]) -> T:
    try:
        return call()
    except (aiohttp.ClientError, TimeoutError) as error:
        raise TaskFailure(f"HTTP request failed: {type(error).__name__}: {error}") from error


def download_to(
    path: Path,
) -> Callable[[aiohttp.ClientResponse], Awaitable[tuple[int, dict[str, list[str]], int]]]:
    async def handle(response: aiohttp.ClientResponse) -> tuple[int, dict[str, list[str]], int]:
        length = 0
        with path.open("wb") as out:
            async for chunk in response.content.iter_chunked(1024 * 1024):
                out.write(chunk)
                length += len(chunk)
        return response.status, response_headers(response.headers), length

    return handle
