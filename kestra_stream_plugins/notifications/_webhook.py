"""The incoming-webhook task every chat service shares: ``url``, a JSON ``payload``, ``options``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import orjson

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.notifications._http import HttpOptions, post_json
from kestra_stream_plugins.notifications._summary import ExecutionNotification, ExecutionSummary


class IncomingWebhook(RunnableTask):
    service: ClassVar[str] = "webhook"

    url: str = dynamic()
    payload: str | dict[str, Any] | None = dynamic(None)
    options: HttpOptions | None = None

    def body(self, ctx: RunContext) -> bytes:
        # Rendered twice, as Kestra does: a payload may itself hold an expression (e.g. from a template).
        rendered = ctx.render(ctx.render(self.payload))
        if rendered is None:
            raise TaskFailure(f"{self.plugin_type}: `payload` is required")
        text = rendered if isinstance(rendered, str) else orjson.dumps(rendered).decode()
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise TaskFailure(f"{self.plugin_type}: `payload` is not valid JSON: {error}") from None
        return text.encode()

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        body = self.body(ctx)
        ctx.logger.debug(f"Send {self.service} webhook: {body.decode()}")
        post_json(ctx, as_text(ctx.render(self.url)), body, options=self.options, service=self.service)
        return {}


class ExecutionWebhook(ExecutionNotification, IncomingWebhook):
    """An incoming webhook whose payload is the execution summary (``payload`` is not set by users)."""

    def message(self, ctx: RunContext, summary: ExecutionSummary) -> dict[str, Any]:
        raise NotImplementedError

    def body(self, ctx: RunContext) -> bytes:
        if self.payload is not None:
            ctx.logger.warn(f"{self.plugin_type}: `payload` is replaced by the execution summary")
        return orjson.dumps(self.message(ctx, self.summary(ctx)))
