"""``flow.Sleep``: a runnable task waiting ``duration`` (stops early when cancelled)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.models.durations import to_timedelta
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.cancellation import current_token
from kestra_stream.runtime.errors import TaskFailure, TaskKilledError


@plugin("io.kestra.plugin.core.flow.Sleep")
class Sleep(RunnableTask):
    duration: str = dynamic()

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        try:
            seconds = to_timedelta(ctx.render(self.duration)).total_seconds()
        except ValueError as error:
            raise TaskFailure(f"invalid `duration`: {error}") from error
        token = current_token()
        if token.wait(max(seconds, 0.0)):
            raise TaskKilledError(f"sleep interrupted: {token.reason}")
        return {}
