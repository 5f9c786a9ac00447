"""``execution.Count``, ``execution.Resume`` and ``execution.PurgeExecutions``: tasks acting on other
executions through the worker's control plane (repository reads and deletes, the executor's commands)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from kestra_stream.executor.messages import PurgeExecution, ResumeExecution
from kestra_stream.models.document import KestraModel
from kestra_stream.models.execution import Execution
from kestra_stream.models.state import StateType
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._search import date_range, equals, rendered, rendered_date, request
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.repository.filters import Filter, FilterField, Op
from kestra_stream.runtime.control import control_plane
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import storage_services
from kestra_stream.storage import execution_prefix

F = FilterField
_INDEXING_GRACE = 10.0
"""How long Resume waits for an execution id to reach the repository (the indexer's lag)."""


class CountedFlow(KestraModel):
    namespace: str
    flow_id: str


def _states(ctx: RunContext, states: list[StateType] | str | None) -> tuple[str, ...] | None:
    if states is None:
        return None
    values = ctx.render(states)
    if isinstance(values, str):
        values = [values]
    try:
        return tuple(StateType(as_text(value)).value for value in values)
    except ValueError as error:
        raise TaskFailure(f"Invalid state in `states`: {error}") from error


def _started_between(ctx: RunContext, start: str | None, end: str | None) -> list[Filter]:
    return date_range(F.START_DATE, rendered_date(ctx, start), rendered_date(ctx, end))


@plugin("io.kestra.plugin.core.execution.Count", "io.kestra.core.tasks.executions.Counts")
class Count(RunnableTask):
    flows: list[CountedFlow] | None = None
    states: list[StateType] | str | None = dynamic(None)
    start_date: str = dynamic()
    end_date: str | None = dynamic(None)
    expression: str = dynamic()
    """Rendered per result with ``count``; the result is kept when it renders ``true``."""
    namespaces: list[str] | str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        if self.flows is None and self.namespaces is None:
            raise TaskFailure("You must provide a list of flows or namespaces.")
        control = control_plane(ctx)
        base: list[Filter] = date_range(
            F.START_DATE, rendered_date(ctx, self.start_date), rendered_date(ctx, self.end_date)
        )
        states = _states(ctx, self.states)
        if states is not None:
            base.append(Filter(field=F.STATE, op=Op.IN, value=states))
        groups: list[tuple[dict[str, Any], list[Filter]]] = []
        for flow in self.flows or ():
            groups.append(
                (
                    {"namespace": flow.namespace, "flowId": flow.flow_id},
                    [equals(F.NAMESPACE, flow.namespace), equals(F.FLOW_ID, flow.flow_id)],
                )
            )
        if self.namespaces is not None:
            namespaces = ctx.render(self.namespaces)
            for namespace in [namespaces] if isinstance(namespaces, str) else namespaces:
                groups.append(({"namespace": as_text(namespace)}, [equals(F.NAMESPACE, as_text(namespace))]))
        results = []
        for result, filters in groups:
            count = control.count_executions(request([*filters, *base]))
            if as_text(ctx.render(self.expression, {"count": count})).strip() == "true":
                results.append({**result, "count": count})
        ctx.logger.debug(f"{len(results)} flows matching the expression")
        return {"results": results, "total": sum(item["count"] for item in results)}


@plugin("io.kestra.plugin.core.execution.Resume")
class Resume(RunnableTask):
    namespace: str | None = dynamic(None)
    flow_id: str | None = dynamic(None)
    execution_id: str | None = dynamic(None)
    """Defaults to the current execution."""
    inputs: dict[str, Any] | None = dynamic(None)
    """The paused task's ``onResume`` inputs."""

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        control = control_plane(ctx)
        execution_id = rendered(ctx, self.execution_id) or str(ctx.variables.get("execution", {}).get("id"))
        target = control.find_execution(execution_id)
        deadline = time.monotonic() + _INDEXING_GRACE
        while target is None and time.monotonic() < deadline:  # paused a moment ago: not indexed yet
            time.sleep(0.2)
            target = control.find_execution(execution_id)
        if target is None:
            raise TaskFailure(f"No execution found for execution id {execution_id}")
        namespace, flow_id = rendered(ctx, self.namespace), rendered(ctx, self.flow_id)
        if (namespace is not None and namespace != target.namespace) or (
            flow_id is not None and flow_id != target.flow_id
        ):
            raise TaskFailure(
                f"No execution found for execution id {execution_id} in flow {namespace}.{flow_id}"
            )
        inputs = ctx.render(self.inputs) if self.inputs else None
        control.send_execution_message(ResumeExecution(execution_id=target.id, inputs=inputs or None))
        ctx.logger.info(f"Resume requested for execution {target.id} ({target.namespace}.{target.flow_id})")
        return {}


@plugin(
    "io.kestra.plugin.core.execution.PurgeExecutions",
    "io.kestra.core.tasks.storages.Purge",
    "io.kestra.plugin.core.storage.Purge",
)
class PurgeExecutions(RunnableTask):
    namespace: str | None = dynamic(None)
    """A namespace and its children, or the namespace of ``flowId``."""
    flow_id: str | None = dynamic(None)
    start_date: str | None = dynamic(None)
    end_date: str = dynamic()
    states: list[StateType] | str | None = dynamic(None)
    purge_execution: bool = True
    purge_log: bool = True
    purge_metric: bool = True
    purge_storage: bool = True
    batch_size: int = Field(100, ge=1)
    """Executions whose logs and metrics are deleted in one bulk request."""

    def _purge_batch(self, ctx: RunContext, batch: list[Execution], counts: dict[str, int]) -> None:
        control = control_plane(ctx)
        ids = tuple(execution.id for execution in batch)
        by_executions = request([Filter(field=F.EXECUTION_ID, op=Op.IN, value=ids)])
        if self.purge_log:
            counts["logsCount"] += control.delete_logs(by_executions)
        if self.purge_metric:
            counts["metricsCount"] += control.delete_metrics(by_executions)
        for execution in batch:
            if self.purge_storage:
                prefix = "kestra://" + execution_prefix(
                    namespace=execution.namespace, flow_id=execution.flow_id, execution_id=execution.id
                )
                counts["storagesCount"] += len(storage_services(ctx).storage.delete_prefix(prefix))
            if self.purge_execution:
                counts["executionsCount"] += int(control.delete_execution(execution.id))
                control.send_execution_message(PurgeExecution(execution_id=execution.id))

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        control = control_plane(ctx)
        namespace, flow_id = rendered(ctx, self.namespace), rendered(ctx, self.flow_id)
        if flow_id is not None and namespace is None:
            raise TaskFailure(
                "You need to provide the `namespace` property to purge the executions of a flow"
            )
        filters = _started_between(ctx, self.start_date, self.end_date)
        if namespace is not None:
            op = Op.EQUALS if flow_id is not None else Op.PREFIX
            filters.append(Filter(field=F.NAMESPACE, op=op, value=namespace))
        if flow_id is not None:
            filters.append(equals(F.FLOW_ID, flow_id))
        states = _states(ctx, self.states)
        if states is not None:
            filters.append(Filter(field=F.STATE, op=Op.IN, value=states))
        current = str(ctx.variables.get("execution", {}).get("id"))
        counts = {"executionsCount": 0, "logsCount": 0, "storagesCount": 0, "metricsCount": 0}
        matching = list(control.executions(request(filters)))
        # the executor still owns the others: they would be indexed again
        purgeable = [e for e in matching if e.id != current and e.state.current.is_terminated()]
        for start in range(0, len(purgeable), self.batch_size):
            self._purge_batch(ctx, purgeable[start : start + self.batch_size], counts)
        skipped = len(matching) - len(purgeable)
        if skipped:
            ctx.logger.warn(f"{skipped} execution(s) not terminated (or the current one) were not purged")
        return counts
