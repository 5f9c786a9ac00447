"""``log.Fetch`` (an execution's logs into an Ion file) and ``log.PurgeLogs``, through the worker's
control plane (the repository the indexer fills)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kestra_stream.ion import write_ion
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.task_options import LogLevel
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._search import date_range, equals, rendered, rendered_date, request
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.core.storage._common import temp_file
from kestra_stream.plugins.registry import plugin
from kestra_stream.repository.filters import Filter, FilterField, Op
from kestra_stream.runtime.control import control_plane
from kestra_stream.runtime.errors import TaskFailure

F = FilterField


def _record(entry: LogEntry) -> dict[str, Any]:
    """The fields (and order) of Kestra's LogEntry as its Ion mapper writes them."""
    return {
        "tenantId": entry.tenant_id or "main",
        "namespace": entry.namespace,
        "flowId": entry.flow_id,
        "taskId": entry.task_id,
        "executionId": entry.execution_id,
        "taskRunId": entry.task_run_id,
        "attemptNumber": entry.attempt_number,
        "triggerId": entry.trigger_id,
        "timestamp": entry.timestamp,
        "level": LogLevel(entry.level).value,
        "thread": entry.thread,
        "message": entry.message,
        "executionKind": entry.execution_kind.value if entry.execution_kind is not None else None,
        "progress": None,
    }


@plugin("io.kestra.plugin.core.log.Fetch", "io.kestra.core.tasks.log.Fetch")
class Fetch(RunnableTask):
    namespace: str | None = dynamic(None)
    """Defaults to the current flow's (as ``flowId``): an ``executionId`` of another flow needs both."""
    flow_id: str | None = dynamic(None)
    execution_id: str | None = dynamic(None)
    """Defaults to the current execution."""
    tasks_id: list[str] | None = dynamic(None)
    level: LogLevel = LogLevel.INFO
    """The minimum level fetched."""

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        control = control_plane(ctx)
        execution_id = rendered(ctx, self.execution_id) or str(ctx.variables.get("execution", {}).get("id"))
        flow = ctx.variables.get("flow") or {}
        # as Kestra: the execution is looked for in the current flow unless namespace and flowId are set
        namespace = rendered(ctx, self.namespace) or str(flow.get("namespace"))
        flow_id = rendered(ctx, self.flow_id) or str(flow.get("id"))
        base = [
            equals(F.EXECUTION_ID, execution_id),
            equals(F.NAMESPACE, namespace),
            equals(F.FLOW_ID, flow_id),
            equals(F.LEVEL, LogLevel(self.level).value),
        ]
        queries = (
            [[*base, equals(F.TASK_ID, as_text(task_id))] for task_id in ctx.render(self.tasks_id)]
            if self.tasks_id
            else [base]
        )

        def entries() -> Iterator[dict[str, Any]]:
            for filters in queries:
                for entry in control.logs(request(filters)):
                    yield _record(entry)

        target = temp_file(ctx, ".ion")
        with target.open("w", encoding="utf-8") as output:
            size = write_ion(output, entries())
        return {"size": size, "uri": ctx.put_file(target)}


@plugin("io.kestra.plugin.core.log.PurgeLogs")
class PurgeLogs(RunnableTask):
    namespace: str | None = dynamic(None)
    """A namespace and its children."""
    flow_id: str | None = dynamic(None)
    execution_id: str | None = dynamic(None)
    log_levels: list[LogLevel] | None = None
    start_date: str | None = dynamic(None)
    end_date: str = dynamic()

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        control = control_plane(ctx)
        filters: list[Filter] = date_range(
            F.START_DATE, rendered_date(ctx, self.start_date), rendered_date(ctx, self.end_date)
        )
        namespace, flow_id = rendered(ctx, self.namespace), rendered(ctx, self.flow_id)
        if flow_id is not None and namespace is None:
            raise TaskFailure("You need to provide the `namespace` property to purge the logs of a flow")
        if namespace is not None:
            filters.append(Filter(field=F.NAMESPACE, op=Op.EQUALS if flow_id else Op.PREFIX, value=namespace))
        if flow_id is not None:
            filters.append(equals(F.FLOW_ID, flow_id))
        execution_id = rendered(ctx, self.execution_id)
        if execution_id is not None:
            filters.append(equals(F.EXECUTION_ID, execution_id))
        if self.log_levels:
            levels = tuple(LogLevel(level).value for level in self.log_levels)
            filters.append(Filter(field=F.LEVEL, op=Op.IN, value=levels))
        return {"count": control.delete_logs(request(filters))}
