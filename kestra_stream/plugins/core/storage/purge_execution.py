"""``storage.PurgeCurrentExecutionFiles``: delete every internal storage file of the current execution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import storage_services
from kestra_stream.storage import execution_prefix


def _variable(ctx: RunContext, scope: str, name: str) -> str:
    values = ctx.variables.get(scope)
    if isinstance(values, Mapping) and isinstance(values.get(name), str):
        return str(values[name])
    raise TaskFailure(f"no `{scope}.{name}` variable in this run context")


@plugin(
    "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
    "io.kestra.core.tasks.storages.PurgeExecution",
    "io.kestra.plugin.core.storage.PurgeExecution",
)
class PurgeCurrentExecutionFiles(RunnableTask):
    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        storage = storage_services(ctx).storage
        prefix = "kestra://" + execution_prefix(
            namespace=_variable(ctx, "flow", "namespace"),
            flow_id=_variable(ctx, "flow", "id"),
            execution_id=_variable(ctx, "execution", "id"),
        )
        uris = [info.uri for info in storage.list(prefix)]
        storage.delete_prefix(prefix)
        return {"uris": uris}
