"""``templating.TemplatedTask``: render a whole task definition, then run it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import UnknownPluginError, plugin, registry
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.yaml_loader import load_yaml


@plugin("io.kestra.plugin.core.templating.TemplatedTask", "io.kestra.core.tasks.templating.TemplatedTask")
class TemplatedTask(RunnableTask):
    spec: str = dynamic()

    def build(self, ctx: RunContext) -> RunnableTask:
        try:
            definition = load_yaml(as_text(ctx.render(self.spec)))
        except yaml.YAMLError as error:
            raise TaskFailure(f"the rendered `spec` is not valid YAML: {error}") from error
        if not isinstance(definition, dict) or "type" not in definition:
            raise TaskFailure("the rendered `spec` must be a task definition with a `type`")
        definition.setdefault("id", self.id)
        try:
            task_class = registry.resolve(str(definition["type"]))
        except UnknownPluginError as error:
            raise TaskFailure(f"unknown task type `{error.type_name}` in `spec`") from error
        if not issubclass(task_class, RunnableTask) or issubclass(task_class, TemplatedTask):
            raise TaskFailure(f"`spec` must describe a runnable task, not `{definition['type']}`")
        try:
            return task_class.model_validate(definition)
        except ValidationError as error:
            raise TaskFailure(f"invalid task in `spec`: {error}") from error

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        return self.build(ctx).run(ctx)
