"""Services some tasks need beyond the ``RunContext`` protocol (raw storage, namespace file listing)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.storage import Storage


@runtime_checkable
class StorageAware(Protocol):
    @property
    def storage(self) -> Storage: ...

    def namespace_files(self, namespace: str | None = None) -> list[str]: ...


def storage_services(ctx: RunContext) -> StorageAware:
    if not isinstance(ctx, StorageAware):
        raise TaskFailure("this task needs direct internal storage access, which this run context lacks")
    return ctx


def flow_namespace(ctx: RunContext) -> str:
    flow = ctx.variables.get("flow")
    if isinstance(flow, dict) and isinstance(flow.get("namespace"), str):
        return str(flow["namespace"])
    raise TaskFailure("no `flow.namespace` variable in this run context")
