"""``output.OutputValues``: rendered values exposed as ``outputs.<id>.values``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.expressions import to_text
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.registry import plugin


@plugin("io.kestra.plugin.core.output.OutputValues")
class OutputValues(RunnableTask):
    values: dict[str, Any] | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        return {"values": _rendered_as_text(ctx, self.values or {})}


def _rendered_as_text(ctx: RunContext, value: Any) -> Any:
    """As Kestra 1.3.31 renders an ``Object`` map: a string stays a string (``"{{ 6 * 7 }}"`` gives
    ``"42"``, a list ``"[1,2]"``), except one that renders to null; YAML numbers/booleans are kept."""
    if isinstance(value, str):
        rendered = ctx.render(value)
        return rendered if rendered is None or isinstance(rendered, str) else to_text(rendered)
    if isinstance(value, Mapping):
        rendered_items = ((ctx.render(key), _rendered_as_text(ctx, item)) for key, item in value.items())
        return {key: item for key, item in rendered_items if item is not None}
    if isinstance(value, list):
        return [_rendered_as_text(ctx, item) for item in value]
    return value
