"""``execution.Fail`` (runnable form) and ``execution.Labels``.

Labels is executor-side in Kestra. Here it runs like any task and returns the labels to apply
in its outputs: ``{"labels": [{"key": k, "value": v}, ...]}`` in declaration order. The executor
merges them into the execution's labels (a later key overrides an earlier one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.expressions import is_truthy
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure

LABELS_OUTPUT = "labels"
_SYSTEM_PREFIX = "system."


@plugin("io.kestra.plugin.core.execution.Fail", "io.kestra.core.tasks.executions.Fail")
class Fail(RunnableTask):
    condition: str | None = dynamic(None)
    error_message: str = dynamic("Task failure")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        if self.condition is not None and not is_truthy(ctx.render(self.condition)):
            return {}
        message = as_text(ctx.render(self.error_message))
        ctx.logger.error(message)
        raise TaskFailure(message)


@plugin("io.kestra.plugin.core.execution.Labels", "io.kestra.core.tasks.executions.Labels")
class Labels(RunnableTask):
    labels: dict[str, Any] | list[dict[str, Any]] | str = dynamic()

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        rendered = ctx.render(self.labels)
        pairs: list[tuple[Any, Any]]
        if isinstance(rendered, Mapping):
            pairs = list(rendered.items())
        elif isinstance(rendered, list):
            try:
                pairs = [(item["key"], item["value"]) for item in rendered]
            except (KeyError, TypeError) as error:
                raise TaskFailure("each label of the list form needs `key` and `value`") from error
        else:
            raise TaskFailure("`labels` must be a map or a list of {key, value}")
        labels = []
        for key, value in pairs:
            name = as_text(key).strip()
            if not name:
                raise TaskFailure("a label key cannot be empty")
            if name.startswith(_SYSTEM_PREFIX):
                raise TaskFailure(f"system labels cannot be set by a task: `{name}`")
            labels.append({"key": name, "value": as_text(value)})
        return {LABELS_OUTPUT: labels}
