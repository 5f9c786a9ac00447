"""The execution a ``*Execution`` notification reports, as Kestra's templates see it.

Kestra reads it from the execution repository; here the task's own variables carry it: the
current execution (the usual ``errors`` / ``afterExecution`` use, ``executionId`` left at its
default) or, for a flow started by a Flow trigger, the execution that triggered it
(``{{ trigger.executionId }}``: its state, duration, first failed task and labels come from the
trigger's variables). Any other execution id is refused with a message saying so.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_map, as_text
from kestra_stream.runtime._expression_services import tasks_with_state
from kestra_stream.runtime.errors import TaskFailure

DEFAULT_URL = "http://localhost:8080/"


@dataclass(frozen=True, kw_only=True)
class ExecutionSummary:
    id: str
    namespace: str
    flow_id: str
    state: str
    link: str
    duration: str | None
    start_epoch: float | None
    failed_task: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    custom_message: str | None = None
    custom_fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        return f"[{self.namespace}] {self.flow_id} ➛ {self.state}"

    @property
    def outcome(self) -> str:
        """Kestra's "Failed on task `x` after 0:00:01.234" line."""
        result = f"Failed on task `{self.failed_task}`" if self.failed_task else "Succeeded"
        return f"{result} after {self.duration}" if self.duration else result

    def facts(self) -> list[tuple[str, str]]:
        facts = [
            ("Namespace", self.namespace),
            ("Job", self.flow_id),
            ("Execution", self.id),
            ("Status", self.state),
        ]
        facts += [(f"Label {key}", value) for key, value in self.labels.items()]
        facts += [(str(key), as_text(value)) for key, value in self.custom_fields.items()]
        return facts


def human_duration(seconds: float) -> str:
    """Kestra's ``State.humanDuration()``: ``H:mm:ss.SSS``."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _epoch(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def execution_link(base_url: str, namespace: str, flow_id: str, execution_id: str, tenant: str) -> str:
    """Kestra's UI address of an execution: ``{kestra.url}/ui/{tenant}/executions/{ns}/{flow}/{id}``."""
    path = "/".join(quote(part, safe="") for part in (tenant, "executions", namespace, flow_id, execution_id))
    return f"{base_url.rstrip('/')}/ui/{path}"


class ExecutionNotification(RunnableTask):
    """What every ``*Execution`` task shares: which execution, and the custom message and fields."""

    execution_id: str = dynamic("{{ execution.id }}")
    custom_message: str | None = dynamic(None)
    custom_fields: dict[str, Any] | None = dynamic(None)

    def summary(self, ctx: RunContext) -> ExecutionSummary:
        variables = ctx.variables
        wanted = as_text(ctx.render(self.execution_id))
        execution = as_mapping(variables.get("execution"))
        flow = as_mapping(variables.get("flow"))
        trigger = as_mapping(variables.get("trigger"))
        kestra = as_mapping(variables.get("kestra"))
        base_url = str(kestra.get("url") or DEFAULT_URL)
        tenant = str(flow.get("tenantId") or "main")
        labels = {  # `labels.system` is the nested view of the system.* labels, listed flat already
            str(k): as_text(v)
            for k, v in as_mapping(variables.get("labels")).items()
            if not isinstance(v, Mapping)
        }
        custom_message = as_text(ctx.render(self.custom_message)) if self.custom_message else None
        custom_fields = as_map(ctx.render(self.custom_fields), "customFields")
        if wanted == execution.get("id"):
            start = _epoch(execution.get("startDate"))
            failed = tasks_with_state(variables, "FAILED")
            namespace, flow_id = str(flow.get("namespace")), str(flow.get("id"))
            return ExecutionSummary(
                id=wanted,
                namespace=namespace,
                flow_id=flow_id,
                state=str(execution.get("state") or "RUNNING"),
                link=execution_link(base_url, namespace, flow_id, wanted, tenant),
                duration=human_duration(time.time() - start) if start is not None else None,
                start_epoch=start,
                failed_task=str(failed[-1]["taskId"]) if failed else None,
                labels=labels,
                custom_message=custom_message,
                custom_fields=custom_fields,
            )
        if wanted and wanted == trigger.get("executionId"):
            namespace, flow_id = str(trigger.get("namespace")), str(trigger.get("flowId"))
            start, end = _epoch(trigger.get("startDate")), _epoch(trigger.get("endDate"))
            failed_task = trigger.get("firstFailedTaskId")
            return ExecutionSummary(
                id=wanted,
                namespace=namespace,
                flow_id=flow_id,
                state=str(trigger.get("state") or "UNKNOWN"),
                link=execution_link(base_url, namespace, flow_id, wanted, tenant),
                duration=human_duration(end - start) if start is not None and end is not None else None,
                start_epoch=start,
                failed_task=str(failed_task) if failed_task else None,
                labels=_flat_labels(as_mapping(trigger.get("executionLabels"))),
                custom_message=custom_message,
                custom_fields=custom_fields,
            )
        raise TaskFailure(
            f"{self.plugin_type}: execution `{wanted}` is neither the current execution nor the one that "
            "triggered this flow (Flow trigger); only those can be summarised on the worker"
        )


def _flat_labels(nested: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"team": "data", "system": {"correlationId": "x"}}`` → ``team``, ``system.correlationId``."""
    flat: dict[str, str] = {}
    for key, value in nested.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flat_labels(value, f"{name}."))
        else:
            flat[name] = as_text(value)
    return flat


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
