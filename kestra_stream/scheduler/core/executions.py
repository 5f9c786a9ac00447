"""Building the execution a trigger starts: variables, inputs, labels (kestra-features §4.1, §4.7)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kestra_stream.flows.model import Flow
from kestra_stream.inputs import resolve_inputs
from kestra_stream.models.execution import Execution, ExecutionMetadata, ExecutionTrigger
from kestra_stream.models.labels import Label
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.state import State, StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.models.trigger_context import Backfill
from kestra_stream.plugins.base import Trigger
from kestra_stream.scheduler.core.types import SchedulerSettings

BACKFILL_LABEL = "system.backfill"


class TriggerError(ValueError):
    """Inputs or labels of a firing could not be rendered or validated: no execution for it."""


def flow_variables(flow: Flow) -> dict[str, Any]:
    return {
        "id": flow.id,
        "namespace": flow.namespace,
        "revision": flow.revision or 1,
        "tenantId": flow.tenant_id,
    }


def trigger_context(flow: Flow, variables: Mapping[str, Any]) -> dict[str, Any]:
    """What trigger properties (conditions, inputs, labels) are rendered with."""
    return {"flow": flow_variables(flow), "trigger": dict(variables), "schedule": dict(variables)}


def render_inputs(
    flow: Flow,
    trigger: Trigger,
    context: Mapping[str, Any],
    settings: SchedulerSettings,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    engine = settings.engine
    try:
        provided = dict(engine.render_typed(getattr(trigger, "inputs", None) or {}, context))
        if extra:
            provided.update(engine.render_typed(dict(extra), context))
        return resolve_inputs(
            flow.inputs or [],
            provided,
            render=lambda value, scope: engine.render_typed(value, scope),
            variables={"flow": flow_variables(flow)},
        )
    except Exception as error:
        raise TriggerError(f"invalid inputs: {error}") from None


def render_labels(
    flow: Flow,
    trigger: Trigger,
    context: Mapping[str, Any],
    settings: SchedulerSettings,
    backfill: Backfill | None = None,
) -> tuple[Label, ...]:
    """The trigger's labels (rendered), the flow's, then the backfill's and ``system.backfill``."""
    labels: dict[str, str] = {}
    sources = [*(trigger.labels or ()), *((backfill.labels or ()) if backfill is not None else ())]
    for label in sources:
        try:
            labels[label.key] = settings.engine.render(label.value, context)
        except Exception as error:
            raise TriggerError(f"unable to render label '{label.key}': {error}") from None
    for label in flow.labels or ():
        labels.setdefault(label.key, label.value)
    if backfill is not None:
        labels[BACKFILL_LABEL] = "true"
    return tuple(Label(key=key, value=value) for key, value in labels.items())


def new_execution(
    *,
    execution_id: str,
    flow: Flow,
    trigger: Trigger,
    variables: Mapping[str, Any],
    inputs: Mapping[str, Any] | None,
    labels: tuple[Label, ...],
    now: datetime,
) -> Execution:
    return Execution(
        id=execution_id,
        tenant_id=flow.tenant_id,
        namespace=flow.namespace,
        flow_id=flow.id,
        flow_revision=flow.revision or 1,
        inputs=dict(inputs) if inputs else None,
        labels=labels or None,
        state=State.of(StateType.CREATED, at=now),
        original_id=execution_id,
        trigger=ExecutionTrigger(id=trigger.id, type=trigger.type, variables=dict(variables)),
        metadata=ExecutionMetadata(attempt_number=1, original_created_date=now),
    )


def build_execution(
    *,
    execution_id: str,
    flow: Flow,
    trigger: Trigger,
    variables: Mapping[str, Any],
    now: datetime,
    settings: SchedulerSettings,
    backfill: Backfill | None = None,
) -> Execution:
    """Raises :class:`TriggerError` when inputs or labels cannot be rendered or validated."""
    context = trigger_context(flow, variables)
    inputs = render_inputs(flow, trigger, context, settings, backfill.inputs if backfill else None)
    labels = render_labels(flow, trigger, context, settings, backfill)
    return new_execution(
        execution_id=execution_id,
        flow=flow,
        trigger=trigger,
        variables=variables,
        inputs=inputs,
        labels=labels,
        now=now,
    )


def trigger_log(flow: Flow, trigger: Trigger, level: LogLevel, message: str, now: datetime) -> LogEntry:
    return LogEntry(
        tenant_id=flow.tenant_id,
        namespace=flow.namespace,
        flow_id=flow.id,
        trigger_id=trigger.id,
        timestamp=now,
        level=level,
        thread="scheduler",
        message=message,
    )
