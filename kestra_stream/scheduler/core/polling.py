"""Polling triggers (kestra-features §4.5) and realtime events (§4.6).

Rules: ``polling_due`` (an unlocked trigger whose interval elapsed becomes a :class:`WorkerTriggerJob`;
the record holds ``evaluateRunningDate`` so one trigger is never evaluated twice at once),
``apply_trigger_result`` (the result of *that* evaluation: maybe an execution, then the next date),
``realtime_execution`` (one execution per event, id from the event's position in its source).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kestra_stream.flows.model import Flow
from kestra_stream.models.durations import to_timedelta
from kestra_stream.models.execution import Execution
from kestra_stream.models.task_options import LogLevel
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.plugins.base import Trigger
from kestra_stream.scheduler.core.executions import (
    TriggerError,
    build_execution,
    flow_variables,
    trigger_log,
)
from kestra_stream.scheduler.core.ids import polling_execution_id
from kestra_stream.scheduler.core.records import uid_of
from kestra_stream.scheduler.core.types import SchedulerSettings, Step
from kestra_stream.scheduler.messages import WorkerTriggerJob, WorkerTriggerResult


def interval_of(trigger: Trigger, settings: SchedulerSettings) -> timedelta:
    value = getattr(trigger, "interval", None)
    if value is None:
        return getattr(trigger, "default_interval", None) or settings.default_polling_interval
    return to_timedelta(value)


def polling_due(flow: Flow, trigger: Trigger, record: TriggerRecord, now: datetime) -> Step:
    if flow.disabled or trigger.disabled or record.disabled or record.locked:
        return Step.unchanged(record)
    due = record.next_execution_date
    if due is not None and due.astimezone(UTC) > now.astimezone(UTC):
        return Step.unchanged(record)
    job = WorkerTriggerJob(
        uid=uid_of(flow, trigger),
        tenant_id=flow.tenant_id,
        namespace=flow.namespace,
        flow_id=flow.id,
        flow_revision=flow.revision or 1,
        trigger=trigger.model_dump(mode="json", by_alias=True, exclude_none=True),
        evaluation_date=now,
        variables={"flow": flow_variables(flow), "trigger": {"date": record.date} if record.date else {}},
    )
    updated = record.model_copy(update={"evaluate_running_date": now, "updated_date": now})
    return Step(record=updated, changed=True, jobs=(job,))


def apply_trigger_result(
    flow: Flow,
    trigger: Trigger,
    record: TriggerRecord,
    result: WorkerTriggerResult,
    now: datetime,
    settings: SchedulerSettings,
) -> Step:
    """Only the result of the evaluation in flight counts (a late duplicate is ignored)."""
    running = record.evaluate_running_date
    if running is None or running.astimezone(UTC) != result.evaluation_date.astimezone(UTC):
        return Step.unchanged(record)
    update: dict[str, Any] = {
        "evaluate_running_date": None,
        "worker_id": result.worker_id,
        "date": result.evaluation_date,
        "next_execution_date": result.evaluation_date + interval_of(trigger, settings),
        "updated_date": now,
    }
    if not result.success:
        message = f"Trigger '{trigger.id}' evaluation failed: {result.error}"
        log = trigger_log(flow, trigger, LogLevel.ERROR, message, now)
        return Step(record=record.model_copy(update=update), changed=True, logs=(log,))
    if result.variables is None:
        return Step(record=record.model_copy(update=update), changed=True)
    try:
        execution = build_execution(
            execution_id=polling_execution_id(uid_of(flow, trigger), result.evaluation_date),
            flow=flow,
            trigger=trigger,
            variables=result.variables,
            now=now,
            settings=settings,
        )
    except TriggerError as error:
        log = trigger_log(
            flow, trigger, LogLevel.ERROR, f"Trigger '{trigger.id}': no execution, {error}", now
        )
        return Step(record=record.model_copy(update=update), changed=True, logs=(log,))
    if not trigger.allow_concurrent:
        update["execution_id"] = execution.id
    return Step(record=record.model_copy(update=update), changed=True, executions=(execution,))


def realtime_execution(
    flow: Flow,
    trigger: Trigger,
    execution_id: str,
    variables: Mapping[str, Any],
    now: datetime,
    settings: SchedulerSettings,
) -> Execution:
    """Raises :class:`TriggerError` when the trigger's inputs or labels cannot be rendered."""
    return build_execution(
        execution_id=execution_id, flow=flow, trigger=trigger, variables=variables, now=now, settings=settings
    )
