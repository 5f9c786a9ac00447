"""Trigger records: creation, recovery of missed schedules, and releasing the lock.

Rules: ``new_record`` (a trigger the scheduler has no state for), ``recover_missed`` (applied when
an instance takes a trigger over: ALL | LAST | NONE), ``release_if_ended`` (the locking execution
terminated: unlock, and disable when its state is in ``stopAfter``), ``release_stale_evaluation``
(a polling evaluation whose worker never answered).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

from kestra_stream.flows.model import Flow
from kestra_stream.models.state import StateType
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.plugins.base import Trigger
from kestra_stream.plugins.triggers import RecoverMissedSchedules, Schedule, ScheduleOnDates
from kestra_stream.scheduler.core.dates import dates_of
from kestra_stream.scheduler.messages import trigger_uid

ENDED_UNKNOWN = None
"""An execution purged from ``execution-states`` before its terminal state was seen."""


def fixed(value: datetime | None) -> datetime | None:
    """In the trigger's zone, as a fixed offset: what the record keeps (and JSON carries)."""
    if value is None:
        return None
    offset = value.utcoffset()
    return value.astimezone(timezone(offset) if offset else UTC)


def uid_of(flow: Flow, trigger: Trigger) -> str:
    return trigger_uid(flow.tenant_id, flow.namespace, flow.id, trigger.id)


def is_scheduled(trigger: Trigger) -> bool:
    return isinstance(trigger, Schedule | ScheduleOnDates)


def new_record(flow: Flow, trigger: Trigger, now: datetime) -> TriggerRecord:
    """Schedules start at their first date after now (nothing is replayed for a new trigger);
    polling triggers are evaluated at once."""
    next_date = fixed(dates_of(trigger).next_after(now)) if is_scheduled(trigger) else now  # type: ignore[arg-type]
    return TriggerRecord(
        tenant_id=flow.tenant_id or "main",
        namespace=flow.namespace,
        flow_id=flow.id,
        trigger_id=trigger.id,
        date=now,
        next_execution_date=next_date,
        stop_after=tuple(trigger.stop_after) if trigger.stop_after else None,
        updated_date=now,
    )


def recover_policy(trigger: Trigger, default: RecoverMissedSchedules) -> RecoverMissedSchedules:
    return getattr(trigger, "recover_missed_schedules", None) or default


def recover_missed(
    record: TriggerRecord, trigger: Trigger, now: datetime, default: RecoverMissedSchedules
) -> TriggerRecord:
    """Dates missed while no scheduler owned the trigger: replay them all, only the last, or none."""
    if not is_scheduled(trigger) or record.next_execution_date is None or record.backfill is not None:
        return record
    missed = record.next_execution_date
    if missed.astimezone(UTC) >= now.astimezone(UTC) - timedelta(seconds=1):
        return record
    policy = recover_policy(trigger, default)
    if policy is RecoverMissedSchedules.ALL:
        return record
    dates = dates_of(trigger)  # type: ignore[arg-type]
    if policy is RecoverMissedSchedules.LAST:
        last = dates.previous_before(now + timedelta(seconds=1))
        target: datetime | None = (
            last if last is not None and last.astimezone(UTC) >= missed.astimezone(UTC) else missed
        )
    else:
        target = dates.next_after(now)
    return record.model_copy(update={"next_execution_date": fixed(target), "updated_date": now})


def release_if_ended(
    record: TriggerRecord, ended: Mapping[str, StateType | None], now: datetime
) -> TriggerRecord:
    """Unlock once the execution holding the lock terminated; ``stopAfter`` then disables the trigger."""
    execution_id = record.execution_id
    if execution_id is None or execution_id not in ended:
        return record
    state = ended[execution_id]
    disabled = record.disabled or (
        state is not None and record.stop_after is not None and state in record.stop_after
    )
    return record.unlocked().model_copy(update={"disabled": disabled, "updated_date": now})


def release_stale_evaluation(record: TriggerRecord, now: datetime, timeout: timedelta) -> TriggerRecord:
    running = record.evaluate_running_date
    if running is None or now - running < timeout:
        return record
    return record.model_copy(
        update={
            "evaluate_running_date": None,
            "worker_id": None,
            "next_execution_date": now,
            "updated_date": now,
        }
    )


def sync_definition(record: TriggerRecord, trigger: Trigger) -> TriggerRecord:
    """``stopAfter`` follows the flow's current definition."""
    stop_after = tuple(trigger.stop_after) if trigger.stop_after else None
    if record.stop_after == stop_after:
        return record
    return record.model_copy(update={"stop_after": stop_after})
