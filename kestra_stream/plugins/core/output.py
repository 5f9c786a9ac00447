"""``output.OutputValues``: rendered values exposed as ``outputs.<id>.values``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.registry import plugin


@plugin("io.kestra.plugin.core.output.OutputValues")
class OutputValues(RunnableTask):
    values: dict[str, Any] | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        return {"values": ctx.render(self.values or {})}
