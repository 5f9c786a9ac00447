"""``execution.Assert``: every condition must render truthy, else the task fails naming how many did not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.expressions import is_truthy
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure


@plugin("io.kestra.plugin.core.execution.Assert")
class Assert(RunnableTask):
    conditions: list[str] = dynamic()
    error_message: str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        failed = success = 0
        for condition in self.conditions:
            try:
                rendered = as_text(ctx.render(condition))
            except Exception as error:
                ctx.logger.error(f"Assertion `{condition}` failed, failed to render `{error}`")
                failed += 1
                continue
            if is_truthy(rendered):
                success += 1
            else:
                ctx.logger.error(f"Assertion `{condition}` failed!")
                failed += 1
        ctx.metric("success", "counter", success)
        ctx.metric("failed", "counter", failed)
        if failed:
            message = f"{failed} assertion{'s' if failed > 1 else ''} failed!"
            if self.error_message is not None:
                message += "\n" + as_text(ctx.render(self.error_message))
            raise TaskFailure(message)
        return {}
