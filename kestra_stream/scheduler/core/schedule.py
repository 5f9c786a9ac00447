"""Schedule and ScheduleOnDates firings (kestra-features §4.2), backfills included.

Rules: ``fire_due`` (every due date of an unlocked, enabled trigger, in order, until it locks),
``fire_date`` (one date: ``lateMaximumDelay``, conditions, the execution), ``schedule_variables``
(``trigger.date/next/previous``, next/previous honouring the conditions), ``backfill_step`` (the
backfill's dates instead of the regular ones while it runs, then back to the schedule).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kestra_stream.flows.model import Flow
from kestra_stream.models.dates import format_instant, format_zoned
from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.task_options import LogLevel
from kestra_stream.models.trigger_context import Backfill, TriggerRecord
from kestra_stream.plugins.triggers import Schedule, ScheduleOnDates
from kestra_stream.scheduler.core.conditions import all_schedule_conditions_hold
from kestra_stream.scheduler.core.dates import ScheduleDates, dates_of
from kestra_stream.scheduler.core.executions import (
    TriggerError,
    build_execution,
    trigger_context,
    trigger_log,
)
from kestra_stream.scheduler.core.ids import backfill_execution_id, scheduled_execution_id
from kestra_stream.scheduler.core.records import fixed, uid_of
from kestra_stream.scheduler.core.types import SchedulerSettings, Step

_CONDITION_SEARCH = 1000

ScheduledTrigger = Schedule | ScheduleOnDates


def utc(value: datetime) -> datetime:
    # aware datetimes sharing one tzinfo compare by wall time (wrong in a DST overlap)
    return value.astimezone(UTC)


def _conditions(trigger: ScheduledTrigger) -> list[Any]:
    return [*(trigger.conditions or ()), *(getattr(trigger, "schedule_conditions", None) or ())]


def _raw_variables(dates: ScheduleDates, date: datetime) -> dict[str, Any]:
    variables: dict[str, Any] = {"date": format_zoned(date.astimezone(dates.tz))}
    following = dates.next_after(date)
    previous = dates.previous_before(date)
    if following is not None:
        variables["next"] = format_zoned(following)
    if previous is not None:
        variables["previous"] = format_zoned(previous)
    return variables


def _walk(dates: ScheduleDates, date: datetime, forward: bool) -> Iterator[datetime]:
    current: datetime | None = date
    for _ in range(_CONDITION_SEARCH):
        current = dates.next_after(current) if forward else dates.previous_before(current)  # type: ignore[arg-type]
        if current is None:
            return
        yield current


def date_holds(
    flow: Flow, trigger: ScheduledTrigger, dates: ScheduleDates, date: datetime, settings: SchedulerSettings
) -> bool:
    conditions = _conditions(trigger)
    if not conditions:
        return True
    context = trigger_context(flow, _raw_variables(dates, date))
    return all_schedule_conditions_hold(conditions, settings.engine, context)


def schedule_variables(
    flow: Flow, trigger: ScheduledTrigger, dates: ScheduleDates, date: datetime, settings: SchedulerSettings
) -> dict[str, Any]:
    """``trigger.date``, ``trigger.next``, ``trigger.previous``; with conditions, next and previous are
    the nearest dates that satisfy them (Kestra's ``trueOutputWithCondition``)."""
    variables = _raw_variables(dates, date)
    if not _conditions(trigger):
        return variables
    for key, forward in (("next", True), ("previous", False)):
        found = next(
            (
                other
                for other in _walk(dates, date, forward)
                if date_holds(flow, trigger, dates, other, settings)
            ),
            None,
        )
        if found is None:
            variables.pop(key, None)
        else:
            variables[key] = format_zoned(found)
    return variables


@dataclass(frozen=True, slots=True)
class Firing:
    execution: Execution | None
    log: LogEntry | None


def fire_date(
    flow: Flow,
    trigger: ScheduledTrigger,
    dates: ScheduleDates,
    date: datetime,
    now: datetime,
    settings: SchedulerSettings,
    *,
    execution_id: str,
    backfill: Backfill | None = None,
) -> Firing:
    """One date: skipped when too late or when a condition is false; else its execution."""
    delay = getattr(trigger, "late_maximum_delay", None)
    if backfill is None and delay is not None and utc(now) - utc(date) > delay:
        message = f"Schedule '{trigger.id}' for {format_zoned(date)} skipped: later than lateMaximumDelay"
        return Firing(None, trigger_log(flow, trigger, LogLevel.WARN, message, now))
    try:
        if not date_holds(flow, trigger, dates, date, settings):
            return Firing(None, None)
        variables = schedule_variables(flow, trigger, dates, date, settings)
        execution = build_execution(
            execution_id=execution_id,
            flow=flow,
            trigger=trigger,
            variables=variables,
            now=now,
            settings=settings,
            backfill=backfill,
        )
    except TriggerError as error:
        message = f"Schedule '{trigger.id}' for {format_zoned(date)}: no execution, {error}"
        return Firing(None, trigger_log(flow, trigger, LogLevel.ERROR, message, now))
    except Exception as error:
        message = f"Unable to evaluate the Schedule trigger '{trigger.id}' for {format_zoned(date)}: {error}"
        return Firing(None, trigger_log(flow, trigger, LogLevel.ERROR, message, now))
    return Firing(execution, None)


def backfill_key(backfill: Backfill) -> str:
    """What tells two backfills of the same dates apart (each replays them anew)."""
    parts = (backfill.start, backfill.end, backfill.previous_next_execution_date)
    return "|".join(format_instant(part) if part is not None else "" for part in parts)


def fire_due(
    flow: Flow, trigger: ScheduledTrigger, record: TriggerRecord, now: datetime, settings: SchedulerSettings
) -> Step:
    """Every due date, oldest first, while the trigger stays unlocked (``allowConcurrent``)."""
    if flow.disabled or trigger.disabled or record.disabled or record.locked:
        return Step.unchanged(record)
    if record.backfill is not None:
        return backfill_step(flow, trigger, record, now, settings)
    date = record.next_execution_date
    if date is None or utc(date) > utc(now):
        return Step.unchanged(record)
    dates = dates_of(trigger)
    uid = uid_of(flow, trigger)
    executions: list[Execution] = []
    logs: list[LogEntry] = []
    lock: str | None = None
    last = record.date
    current: datetime | None = date
    while current is not None and utc(current) <= utc(now) and lock is None:
        if len(executions) >= settings.max_firings_per_tick:
            break
        firing = fire_date(
            flow, trigger, dates, current, now, settings, execution_id=scheduled_execution_id(uid, current)
        )
        if firing.log is not None:
            logs.append(firing.log)
        if firing.execution is not None:
            executions.append(firing.execution)
            last = current
            if not trigger.allow_concurrent:
                lock = firing.execution.id
        current = dates.next_after(current)
    updated = record.model_copy(
        update={
            "date": fixed(last),
            "next_execution_date": fixed(current),
            "execution_id": lock,
            "updated_date": now,
        }
    )
    return Step(record=updated, changed=True, executions=tuple(executions), logs=tuple(logs))


def backfill_step(
    flow: Flow, trigger: ScheduledTrigger, record: TriggerRecord, now: datetime, settings: SchedulerSettings
) -> Step:
    """The backfill's dates in order (``system.backfill: true``), one lock at a time; at its end the
    schedule resumes from now (Kestra: dates missed during a backfill are not replayed)."""
    backfill = record.backfill
    assert backfill is not None
    if backfill.paused:
        return Step.unchanged(record)
    dates = dates_of(trigger)
    uid = uid_of(flow, trigger)
    key = backfill_key(backfill)
    end = backfill.end or now
    current = backfill.current_date
    executions: list[Execution] = []
    logs: list[LogEntry] = []
    lock: str | None = None
    while (
        current is not None
        and utc(current) <= utc(end)
        and utc(current) <= utc(now)
        and lock is None
        and len(executions) < settings.max_firings_per_tick
    ):
        firing = fire_date(
            flow,
            trigger,
            dates,
            current,
            now,
            settings,
            execution_id=backfill_execution_id(uid, key, current),
            backfill=backfill,
        )
        if firing.log is not None:
            logs.append(firing.log)
        if firing.execution is not None:
            executions.append(firing.execution)
            if not trigger.allow_concurrent:
                lock = firing.execution.id
        current = dates.next_after(current)
    if current is None or utc(current) > utc(end):
        update: dict[str, Any] = {"backfill": None, "next_execution_date": fixed(dates.next_after(now))}
    elif current == backfill.current_date:
        return Step.unchanged(record)
    else:
        update = {"backfill": backfill.model_copy(update={"current_date": fixed(current)})}
    update.update(execution_id=lock, updated_date=now)
    return Step(
        record=record.model_copy(update=update), changed=True, executions=tuple(executions), logs=tuple(logs)
    )
