"""``debug.Return`` (render and return a value) and the deprecated ``debug.Echo``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.core.log import log_messages
from kestra_stream.plugins.registry import plugin


@plugin("io.kestra.plugin.core.debug.Return", "io.kestra.core.tasks.debugs.Return")
class Return(RunnableTask):
    format: str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        started = time.monotonic()
        if self.format is None:
            return {}
        value = as_text(ctx.render(self.format))
        ctx.metric("length", "counter", len(value))
        ctx.metric("duration", "timer", time.monotonic() - started)
        return {"value": value}


@plugin("io.kestra.plugin.core.debug.Echo", "io.kestra.core.tasks.debugs.Echo")
class Echo(RunnableTask):
    """Deprecated: use ``log.Log``."""

    format: str = dynamic()
    level: str = "INFO"

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        log_messages(ctx, self.format, self.level)
        return {}
