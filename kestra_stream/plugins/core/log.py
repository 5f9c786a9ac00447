"""``io.kestra.plugin.core.log.Log``: one log line per message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.sinks import normalize_level


def log_messages(ctx: RunContext, message: Any, level: str) -> None:
    try:
        normalized = normalize_level(level)
    except ValueError as error:
        raise TaskFailure(str(error)) from error
    messages = message if isinstance(message, list) else [message]
    for item in messages:
        ctx.logger.log(normalized, as_text(ctx.render(item)))


@plugin("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log")
class Log(RunnableTask):
    message: str | list[str] = dynamic()
    level: str = "INFO"

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        log_messages(ctx, self.message, self.level)
        return {}
