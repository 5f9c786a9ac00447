"""``http.Request``: one HTTP call; status ≥ 400 fails unless ``allowFailed``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core.http._client import exchange, prepare, response_headers, run_sync
from kestra_stream.plugins.core.http._options import HttpRequestTask
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure


async def _read(response: aiohttp.ClientResponse) -> tuple[int, dict[str, list[str]], bytes, str]:
    body = await response.read()
    charset = response.charset or "utf-8"
    return response.status, response_headers(response.headers), body, charset


@plugin("io.kestra.plugin.core.http.Request", "io.kestra.plugin.fs.http.Request")
class Request(HttpRequestTask):
    encrypt_body: bool = False

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        request = prepare(self, ctx)
        if self.encrypt_body:
            ctx.logger.warn("encryptBody is not supported (no encryption key): the body is stored in clear")
        ctx.logger.debug(f"{request.method} {request.uri}")
        code, headers, raw, charset = run_sync(exchange(request, _read))
        try:
            body = raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            body = raw.decode("utf-8", errors="replace")
        outputs: dict[str, Any] = {"uri": request.uri, "code": code, "headers": headers, "length": len(raw)}
        if raw:
            outputs["body"] = body
        ctx.metric("response.length", "counter", len(raw))
        if code >= 400 and not request.allow_failed:
            raise TaskFailure(f"Failed http request with response code '{code}'", outputs=outputs)
        return outputs
