"""API commands on a trigger (docs/scheduler.md, kestra-platform §4.4), one named rule each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kestra_stream.flows.model import Flow
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.task_options import LogLevel
from kestra_stream.models.trigger_context import Backfill, TriggerRecord
from kestra_stream.plugins.base import Trigger
from kestra_stream.plugins.triggers import Schedule
from kestra_stream.scheduler.core.dates import at_or_after, dates_of
from kestra_stream.scheduler.core.executions import trigger_log
from kestra_stream.scheduler.core.records import fixed, is_scheduled, new_record
from kestra_stream.scheduler.core.types import Step
from kestra_stream.scheduler.messages import TriggerCommand, TriggerCommandType


def unlock(
    flow: Flow, trigger: Trigger, record: TriggerRecord, command: TriggerCommand, now: datetime
) -> Step:
    if not record.locked:
        return Step.unchanged(record)
    return Step(record=record.unlocked().model_copy(update={"updated_date": now}), changed=True)


def set_disabled(
    flow: Flow, trigger: Trigger, record: TriggerRecord, command: TriggerCommand, now: datetime
) -> Step:
    """Re-enabling a schedule resumes from now: dates passed while disabled are not replayed."""
    disabled = bool(command.disabled)
    if disabled == record.disabled:
        return Step.unchanged(record)
    update: dict[str, object] = {"disabled": disabled, "updated_date": now}
    if not disabled and is_scheduled(trigger):
        update["next_execution_date"] = fixed(dates_of(trigger).next_after(now))  # type: ignore[arg-type]
    elif not disabled:
        update["next_execution_date"] = now
    return Step(record=record.model_copy(update=update), changed=True)


def _refused(flow: Flow, trigger: Trigger, record: TriggerRecord, message: str, now: datetime) -> Step:
    log: LogEntry = trigger_log(flow, trigger, LogLevel.WARN, message, now)
    return Step(record=record, logs=(log,))


def create_backfill(
    flow: Flow, trigger: Trigger, record: TriggerRecord, command: TriggerCommand, now: datetime
) -> Step:
    """From ``start`` to ``end`` (now when absent, fixed at creation), every date, even those that ran."""
    request = command.backfill
    if not isinstance(trigger, Schedule) or request is None:
        return _refused(
            flow, trigger, record, f"Backfill refused: '{trigger.id}' is not a Schedule trigger", now
        )
    if record.backfill is not None:
        return _refused(flow, trigger, record, f"Backfill refused: '{trigger.id}' already has one", now)
    dates = dates_of(trigger)
    backfill = Backfill(
        start=request.start,
        end=request.end or now,
        current_date=fixed(at_or_after(dates, request.start)),
        inputs=request.inputs,
        labels=request.labels,
        previous_next_execution_date=record.next_execution_date,
    )
    return Step(record=record.model_copy(update={"backfill": backfill, "updated_date": now}), changed=True)


def _set_paused(paused: bool) -> Callable[[Flow, Trigger, TriggerRecord, TriggerCommand, datetime], Step]:
    def rule(
        flow: Flow, trigger: Trigger, record: TriggerRecord, command: TriggerCommand, now: datetime
    ) -> Step:
        backfill = record.backfill
        if backfill is None or backfill.paused == paused:
            return Step.unchanged(record)
        update = {"backfill": backfill.model_copy(update={"paused": paused}), "updated_date": now}
        return Step(record=record.model_copy(update=update), changed=True)

    rule.__name__ = "pause_backfill" if paused else "unpause_backfill"
    return rule


pause_backfill = _set_paused(True)
unpause_backfill = _set_paused(False)


def delete_backfill(
    flow: Flow, trigger: Trigger, record: TriggerRecord, command: TriggerCommand, now: datetime
) -> Step:
    """The schedule resumes where it was when the backfill was created."""
    backfill = record.backfill
    if backfill is None:
        return Step.unchanged(record)
    update = {
        "backfill": None,
        "next_execution_date": backfill.previous_next_execution_date,
        "updated_date": now,
    }
    return Step(record=record.model_copy(update=update), changed=True)


def reset(
    flow: Flow, trigger: Trigger, record: TriggerRecord, command: TriggerCommand, now: datetime
) -> Step:
    """Kestra's trigger delete: the state is forgotten; evaluation starts again from now."""
    return Step(record=new_record(flow, trigger, now), changed=True)


RULES = {
    TriggerCommandType.UNLOCK: unlock,
    TriggerCommandType.SET_DISABLED: set_disabled,
    TriggerCommandType.CREATE_BACKFILL: create_backfill,
    TriggerCommandType.PAUSE_BACKFILL: pause_backfill,
    TriggerCommandType.UNPAUSE_BACKFILL: unpause_backfill,
    TriggerCommandType.DELETE_BACKFILL: delete_backfill,
    TriggerCommandType.RESET: reset,
}


def apply_command(
    flow: Flow, trigger: Trigger, record: TriggerRecord | None, command: TriggerCommand, now: datetime
) -> Step:
    current = record if record is not None else new_record(flow, trigger, now)
    step = RULES[command.command](flow, trigger, current, command, now)
    if record is None and not step.changed:
        return Step(record=current, changed=True, logs=step.logs)
    return step
