"""``io.kestra.plugin.core.http.Trigger``: call an HTTP endpoint every ``interval`` (PT60S); when
``responseCondition`` (default ``{{ response.statusCode < 400 }}``) holds, start one execution with
``trigger.uri``, ``trigger.code``, ``trigger.headers`` and ``trigger.body``.

Evaluated as one :class:`~kestra_stream.scheduler.messages.WorkerTriggerJob` at a time: the scheduler
holds the trigger's ``evaluateRunningDate`` until the result is back, so one trigger is never
evaluated twice at once (docs/scheduler.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import aiohttp
import orjson

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.models.durations import to_timedelta
from kestra_stream.plugins.base import PollingTrigger, dynamic
from kestra_stream.plugins.core._values import as_map, as_text
from kestra_stream.plugins.core.http._client import (
    DEFAULT_CONTENT_TYPE,
    PreparedRequest,
    exchange,
    response_headers,
    run_sync,
)
from kestra_stream.plugins.core.http._options import HttpAuth, HttpOptions, SslOptions
from kestra_stream.plugins.registry import plugin
from kestra_stream.scheduler.plugins import TriggerRunContext

DEFAULT_CONDITION = "{{ response.statusCode < 400 }}"


def _seconds(value: str | None) -> float | None:
    return None if value is None else to_timedelta(value).total_seconds()


async def _read(response: aiohttp.ClientResponse) -> tuple[int, dict[str, list[str]], str]:
    raw = await response.read()
    try:
        body = raw.decode(response.charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        body = raw.decode("utf-8", errors="replace")
    return response.status, response_headers(response.headers), body


@plugin("io.kestra.plugin.core.http.Trigger", "io.kestra.plugin.fs.http.Trigger")
class HttpTrigger(PollingTrigger):
    uri: str = dynamic()
    method: str = "GET"
    body: Any = dynamic(None)
    content_type: str | None = dynamic(None)
    headers: dict[str, Any] | None = dynamic(None)
    options: HttpOptions | None = None
    auth: HttpAuth | None = None
    ssl_options: SslOptions | None = None
    response_condition: str = dynamic(DEFAULT_CONDITION)
    encrypt_body: bool = False
    default_interval: ClassVar[timedelta] = timedelta(seconds=60)

    def prepare(self, ctx: TriggerRunContext) -> PreparedRequest:
        headers = {str(k): as_text(v) for k, v in as_map(ctx.render(self.headers), "headers").items()}
        data: bytes | None = None
        if self.body is not None:
            body = ctx.render(self.body)
            data = (body if isinstance(body, str) else orjson.dumps(body).decode()).encode()
            if not any(key.lower() == "content-type" for key in headers):
                headers["Content-Type"] = as_text(ctx.render(self.content_type) or DEFAULT_CONTENT_TYPE)
        options = self.options
        if self.auth is not None and self.auth.type == "BASIC":
            user, password = ctx.render(self.auth.username), ctx.render(self.auth.password)
            headers["Authorization"] = aiohttp.encode_basic_auth(as_text(user), as_text(password))
        elif self.auth is not None:
            headers["Authorization"] = f"Bearer {as_text(ctx.render(self.auth.token))}"
        elif options is not None and options.basic_auth_user:
            user, password = ctx.render(options.basic_auth_user), ctx.render(options.basic_auth_password)
            headers["Authorization"] = aiohttp.encode_basic_auth(as_text(user), as_text(password))
        read = _seconds(options.read_timeout) if options else None
        read_idle = _seconds(options.read_idle_timeout) if options else None
        return PreparedRequest(
            uri=as_text(ctx.render(self.uri)).strip(),
            method=self.method.upper(),
            headers=headers,
            data=data,
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=_seconds(options.connect_timeout) if options else None,
                sock_read=read_idle if read_idle is not None else (read if read is not None else 60.0),
            ),
            follow_redirects=options.follow_redirects if options else True,
            verify_ssl=not (self.ssl_options and self.ssl_options.insecure_trust_all_certificates),
            allow_failed=True,
        )

    def evaluate(self, ctx: TriggerRunContext) -> dict[str, Any] | None:
        request = self.prepare(ctx)
        code, headers, body = run_sync(exchange(request, _read))
        response = {"statusCode": code, "headers": headers, "body": body}
        variables = {**ctx.variables, "response": response}
        rendered = ctx.engine.render(self.response_condition, variables).strip()
        if not ExpressionEngine.is_truthy(rendered):
            return None
        return {"uri": request.uri, "code": code, "headers": headers, "body": body}
