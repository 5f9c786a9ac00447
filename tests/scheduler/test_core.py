"""The scheduler's pure rules: firings, recovery, locks, conditions, backfills, ids, polling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kestra_stream.flows import Flow
from kestra_stream.models.state import StateType
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.plugins.base import Trigger
from kestra_stream.plugins.triggers import RecoverMissedSchedules, Schedule, ScheduleOnDates
from kestra_stream.scheduler.core import (
    BACKFILL_LABEL,
    SchedulerSettings,
    apply_command,
    apply_trigger_result,
    fire_due,
    new_record,
    polling_due,
    recover_missed,
    release_if_ended,
    release_stale_evaluation,
    scheduled_execution_id,
    uid_of,
)
from kestra_stream.scheduler.messages import (
    BackfillRequest,
    TriggerCommand,
    TriggerCommandType,
    WorkerTriggerResult,
)
from tests.scheduler.helpers import at, flow_with

SETTINGS = SchedulerSettings()


def _schedule(flow: Flow) -> Schedule:
    trigger = flow.triggers[0]  # type: ignore[index]
    assert isinstance(trigger, Schedule | ScheduleOnDates)
    return trigger  # type: ignore[return-value]


def _record(flow: Flow, next_date: str, **update: Any) -> TriggerRecord:
    record = new_record(flow, _schedule(flow), at("2024-01-01T00:00:00"))
    return record.model_copy(update={"next_execution_date": at(next_date), **update})


def _dates(executions: Any) -> list[str]:
    return [execution.trigger.variables["date"] for execution in executions]


def _command(flow: Flow, kind: TriggerCommandType, **fields: Any) -> TriggerCommand:
    return TriggerCommand(
        command=kind, namespace=flow.namespace, flow_id=flow.id, trigger_id=_schedule(flow).id, **fields
    )


EVERY_MINUTE = """
- id: every-minute
  type: io.kestra.plugin.core.trigger.Schedule
  cron: "* * * * *"
  allowConcurrent: true
"""


def test_new_trigger_starts_at_its_next_date_without_replaying() -> None:
    flow = flow_with(EVERY_MINUTE)
    record = new_record(flow, _schedule(flow), at("2024-01-01T10:00:30"))
    assert record.next_execution_date == at("2024-01-01T10:01:00")
    assert record.uid == "main_company.team_scheduled_every-minute"


def test_nothing_fires_before_the_date() -> None:
    flow = flow_with(EVERY_MINUTE)
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-01T10:01:00"), at("2024-01-01T10:00:59"), SETTINGS
    )
    assert not step.changed and step.executions == ()


def test_due_date_fires_with_trigger_variables_and_moves_on() -> None:
    flow = flow_with(EVERY_MINUTE)
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-01T10:01:00"), at("2024-01-01T10:01:00.3"), SETTINGS
    )
    (execution,) = step.executions
    assert execution.trigger is not None
    assert execution.trigger.variables == {
        "date": "2024-01-01T10:01:00Z",
        "next": "2024-01-01T10:02:00Z",
        "previous": "2024-01-01T10:00:00Z",
    }
    assert execution.trigger.type == "io.kestra.plugin.core.trigger.Schedule"
    assert step.record.next_execution_date == at("2024-01-01T10:02:00")
    assert step.record.date == at("2024-01-01T10:01:00")


def test_execution_id_is_derived_from_trigger_and_date() -> None:
    flow = flow_with(EVERY_MINUTE)
    record = _record(flow, "2024-01-01T10:01:00")
    first = fire_due(flow, _schedule(flow), record, at("2024-01-01T10:01:00"), SETTINGS)
    again = fire_due(flow, _schedule(flow), record, at("2024-01-01T10:01:00.9"), SETTINGS)
    assert first.executions[0].id == again.executions[0].id
    assert first.executions[0].id == scheduled_execution_id(
        uid_of(flow, _schedule(flow)), at("2024-01-01T10:01:00")
    )
    other = scheduled_execution_id(uid_of(flow, _schedule(flow)), at("2024-01-01T10:02:00"))
    assert other != first.executions[0].id


def test_all_missed_dates_fire_in_order_when_concurrent_allowed() -> None:
    flow = flow_with(EVERY_MINUTE)
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-01T10:01:00"), at("2024-01-01T10:03:10"), SETTINGS
    )
    assert _dates(step.executions) == ["2024-01-01T10:01:00Z", "2024-01-01T10:02:00Z", "2024-01-01T10:03:00Z"]
    assert len({execution.id for execution in step.executions}) == 3


LOCKING = """
- id: locking
  type: io.kestra.plugin.core.trigger.Schedule
  cron: "* * * * *"
  stopAfter: [FAILED]
"""


def test_lock_held_until_the_execution_ends() -> None:
    flow = flow_with(LOCKING)
    trigger = _schedule(flow)
    step = fire_due(flow, trigger, _record(flow, "2024-01-01T10:01:00"), at("2024-01-01T10:03:10"), SETTINGS)
    (execution,) = step.executions  # the lock stops the catch-up after one
    assert step.record.execution_id == execution.id and step.record.locked
    assert step.record.next_execution_date == at("2024-01-01T10:02:00")
    blocked = fire_due(flow, trigger, step.record, at("2024-01-01T10:05:00"), SETTINGS)
    assert not blocked.changed
    unlocked = release_if_ended(step.record, {execution.id: StateType.SUCCESS}, at("2024-01-01T10:05:00"))
    assert not unlocked.locked and not unlocked.disabled
    resumed = fire_due(flow, trigger, unlocked, at("2024-01-01T10:05:00"), SETTINGS)
    assert _dates(resumed.executions) == ["2024-01-01T10:02:00Z"]


def test_other_execution_ending_does_not_unlock() -> None:
    flow = flow_with(LOCKING)
    record = _record(flow, "2024-01-01T10:01:00", execution_id="mine")
    assert release_if_ended(record, {"other": StateType.SUCCESS}, at("2024-01-01T10:05:00")).locked


def test_stop_after_disables_the_trigger() -> None:
    flow = flow_with(LOCKING)
    record = _record(flow, "2024-01-01T10:01:00", execution_id="e1")
    released = release_if_ended(record, {"e1": StateType.FAILED}, at("2024-01-01T10:05:00"))
    assert released.disabled and not released.locked
    assert not fire_due(flow, _schedule(flow), released, at("2024-01-01T10:06:00"), SETTINGS).executions


def test_unlock_command_releases_the_lock() -> None:
    flow = flow_with(LOCKING)
    record = _record(flow, "2024-01-01T10:01:00", execution_id="e1")
    step = apply_command(
        flow, _schedule(flow), record, _command(flow, TriggerCommandType.UNLOCK), at("2024-01-01T10:02:00")
    )
    assert step.changed and not step.record.locked


def test_disabled_trigger_or_flow_never_fires() -> None:
    flow = flow_with(EVERY_MINUTE.replace("allowConcurrent: true", "disabled: true"))
    assert not fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-01T10:01:00"), at("2024-01-01T11:00:00"), SETTINGS
    ).changed
    enabled = flow_with(EVERY_MINUTE)
    runtime_disabled = _record(enabled, "2024-01-01T10:01:00", disabled=True)
    assert not fire_due(
        enabled, _schedule(enabled), runtime_disabled, at("2024-01-01T11:00:00"), SETTINGS
    ).changed


def test_reenabling_resumes_from_now() -> None:
    flow = flow_with(EVERY_MINUTE)
    record = _record(flow, "2024-01-01T10:01:00", disabled=True)
    command = _command(flow, TriggerCommandType.SET_DISABLED, disabled=False)
    step = apply_command(flow, _schedule(flow), record, command, at("2024-01-01T11:00:30"))
    assert not step.record.disabled and step.record.next_execution_date == at("2024-01-01T11:01:00")


def _recover(policy: str) -> TriggerRecord:
    flow = flow_with(EVERY_MINUTE + f"  recoverMissedSchedules: {policy}\n")
    return recover_missed(
        _record(flow, "2024-01-01T10:01:00"),
        _schedule(flow),
        at("2024-01-01T10:05:30"),
        RecoverMissedSchedules.ALL,
    )


def test_recover_missed_all_keeps_every_date() -> None:
    assert _recover("ALL").next_execution_date == at("2024-01-01T10:01:00")


def test_recover_missed_last_keeps_only_the_last() -> None:
    assert _recover("LAST").next_execution_date == at("2024-01-01T10:05:00")


def test_recover_missed_none_skips_to_the_future() -> None:
    assert _recover("NONE").next_execution_date == at("2024-01-01T10:06:00")


def test_recover_missed_global_default_applies_when_unset() -> None:
    flow = flow_with(EVERY_MINUTE)
    record = recover_missed(
        _record(flow, "2024-01-01T10:01:00"),
        _schedule(flow),
        at("2024-01-01T10:05:30"),
        RecoverMissedSchedules.NONE,
    )
    assert record.next_execution_date == at("2024-01-01T10:06:00")


def test_late_maximum_delay_skips_too_late_dates() -> None:
    flow = flow_with(EVERY_MINUTE + "  lateMaximumDelay: PT90S\n")
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-01T10:01:00"), at("2024-01-01T10:04:00"), SETTINGS
    )
    assert _dates(step.executions) == ["2024-01-01T10:03:00Z", "2024-01-01T10:04:00Z"]
    assert any("lateMaximumDelay" in (log.message or "") for log in step.logs)


WEEKDAYS = """
- id: weekdays
  type: io.kestra.plugin.core.trigger.Schedule
  cron: "0 9 * * *"
  allowConcurrent: true
  conditions:
    - type: io.kestra.plugin.core.condition.Not
      conditions:
        - type: io.kestra.plugin.core.condition.Weekend
"""


def test_conditions_filter_dates_and_shape_next_previous() -> None:
    flow = flow_with(WEEKDAYS)
    # 2024-01-05 is a Friday, 06/07 the weekend, 08 a Monday
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-05T09:00:00"), at("2024-01-08T09:00:00"), SETTINGS
    )
    assert _dates(step.executions) == ["2024-01-05T09:00:00Z", "2024-01-08T09:00:00Z"]
    assert step.executions[0].trigger.variables["next"] == "2024-01-08T09:00:00Z"  # type: ignore[union-attr]
    assert step.executions[1].trigger.variables["previous"] == "2024-01-05T09:00:00Z"  # type: ignore[union-attr]


def test_date_conditions() -> None:
    conditions = """
  conditions:
    - type: io.kestra.plugin.core.condition.DayWeekInMonth
      dayOfWeek: MONDAY
      dayInMonth: FIRST
    - type: io.kestra.plugin.core.condition.TimeBetween
      after: "08:00:00Z"
      before: "10:00:00Z"
    - type: io.kestra.plugin.core.condition.DateTimeBetween
      after: "2024-01-01T00:00:00Z"
    - type: io.kestra.plugin.core.condition.Or
      conditions:
        - type: io.kestra.plugin.core.condition.DayWeek
          dayOfWeek: MONDAY
        - type: io.kestra.plugin.core.condition.Expression
          expression: "{{ false }}"
"""
    flow = flow_with(
        "- id: t\n  type: io.kestra.plugin.core.trigger.Schedule\n  cron: '0 9 * * *'\n"
        "  allowConcurrent: true" + conditions
    )
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-01T09:00:00"), at("2024-02-06T00:00:00"), SETTINGS
    )
    assert _dates(step.executions) == ["2024-01-01T09:00:00Z", "2024-02-05T09:00:00Z"]


INPUTS = """
- id: with-inputs
  type: io.kestra.plugin.core.trigger.Schedule
  cron: "0 0 * * *"
  timezone: Europe/Paris
  allowConcurrent: true
  inputs:
    day: "{{ trigger.date | date('yyyy-MM-dd', timeZone='Europe/Paris') }}"
  labels:
    origin: "schedule-{{ trigger.date | date('dd', timeZone='Europe/Paris') }}"
"""


def test_inputs_and_labels_are_rendered_with_the_trigger_date() -> None:
    flow = flow_with(INPUTS, extra="inputs:\n  - id: day\n    type: STRING\nlabels:\n  team: data")
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-31T23:00:00"), at("2024-02-01T00:00:00"), SETTINGS
    )
    (execution,) = step.executions
    assert execution.inputs == {"day": "2024-02-01"}
    assert {(label.key, label.value) for label in execution.labels or ()} == {
        ("origin", "schedule-01"),
        ("team", "data"),
    }
    assert execution.trigger.variables["date"] == "2024-02-01T00:00:00+01:00"  # type: ignore[union-attr]


def test_invalid_inputs_skip_the_date_with_an_error_log() -> None:
    flow = flow_with(INPUTS, extra="inputs:\n  - id: day\n    type: INT")
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-31T23:00:00"), at("2024-02-01T00:00:00"), SETTINGS
    )
    assert step.executions == () and step.logs and step.record.next_execution_date is not None


def test_schedule_on_dates_fires_each_date_once() -> None:
    flow = flow_with(
        """
- id: on-dates
  type: io.kestra.plugin.core.trigger.ScheduleOnDates
  allowConcurrent: true
  dates: ["2024-01-01T10:00:00Z", "2024-01-03T10:00:00Z"]
"""
    )
    trigger = _schedule(flow)
    record = new_record(flow, trigger, at("2023-12-31T00:00:00"))
    step = fire_due(flow, trigger, record, at("2024-01-05T00:00:00"), SETTINGS)
    assert _dates(step.executions) == ["2024-01-01T10:00:00Z", "2024-01-03T10:00:00Z"]
    assert step.record.next_execution_date is None
    assert not fire_due(flow, trigger, step.record, at("2024-02-01T00:00:00"), SETTINGS).changed


DAILY = """
- id: daily
  type: io.kestra.plugin.core.trigger.Schedule
  cron: "0 0 * * *"
"""


def test_backfill_replays_every_date_in_order_one_lock_at_a_time() -> None:
    flow = flow_with(DAILY)
    trigger = _schedule(flow)
    record = _record(flow, "2024-01-10T00:00:00")
    now = at("2024-01-09T12:00:00")
    request = BackfillRequest(
        start=at("2024-01-01T00:00:00"), end=at("2024-01-03T00:00:00"), labels={"why": "fix"}
    )
    created = apply_command(
        flow, trigger, record, _command(flow, TriggerCommandType.CREATE_BACKFILL, backfill=request), now
    )
    record = created.record
    fired: list[str] = []
    ids: list[str] = []
    for _ in range(5):
        step = fire_due(flow, trigger, record, now, SETTINGS)
        for execution in step.executions:
            fired.append(execution.trigger.variables["date"])  # type: ignore[union-attr]
            ids.append(execution.id)
            labels = {label.key: label.value for label in execution.labels or ()}
            assert labels[BACKFILL_LABEL] == "true" and labels["why"] == "fix"
        record = release_if_ended(step.record, {step.record.execution_id or "": StateType.SUCCESS}, now)
    assert fired == ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"]
    assert record.backfill is None and record.next_execution_date == at("2024-01-10T00:00:00")
    # a backfill's ids differ from the regular schedule's (dates that already ran run again)
    assert ids[0] != scheduled_execution_id(uid_of(flow, trigger), at("2024-01-01T00:00:00"))


def test_backfill_pause_unpause_delete() -> None:
    flow = flow_with(DAILY)
    trigger = _schedule(flow)
    now = at("2024-01-09T12:00:00")
    request = BackfillRequest(start=at("2024-01-01T00:00:00"))
    record = apply_command(
        flow,
        trigger,
        _record(flow, "2024-01-10T00:00:00"),
        _command(flow, TriggerCommandType.CREATE_BACKFILL, backfill=request),
        now,
    ).record
    assert record.backfill is not None and record.backfill.end == now
    paused = apply_command(
        flow, trigger, record, _command(flow, TriggerCommandType.PAUSE_BACKFILL), now
    ).record
    assert not fire_due(flow, trigger, paused, now, SETTINGS).executions
    resumed = apply_command(
        flow, trigger, paused, _command(flow, TriggerCommandType.UNPAUSE_BACKFILL), now
    ).record
    assert fire_due(flow, trigger, resumed, now, SETTINGS).executions
    deleted = apply_command(
        flow, trigger, resumed, _command(flow, TriggerCommandType.DELETE_BACKFILL), now
    ).record
    assert deleted.backfill is None and deleted.next_execution_date == at("2024-01-10T00:00:00")


def test_backfill_refused_on_a_non_schedule_or_twice() -> None:
    flow = flow_with(DAILY)
    trigger = _schedule(flow)
    now = at("2024-01-09T12:00:00")
    command = _command(
        flow, TriggerCommandType.CREATE_BACKFILL, backfill=BackfillRequest(start=at("2024-01-01T00:00:00"))
    )
    once = apply_command(flow, trigger, _record(flow, "2024-01-10T00:00:00"), command, now).record
    twice = apply_command(flow, trigger, once, command, now)
    assert not twice.changed and twice.logs


def test_reset_forgets_the_state() -> None:
    flow = flow_with(DAILY)
    record = _record(flow, "2024-01-01T00:00:00", execution_id="e", disabled=True)
    step = apply_command(
        flow, _schedule(flow), record, _command(flow, TriggerCommandType.RESET), at("2024-01-09T12:00:00")
    )
    assert not step.record.locked and not step.record.disabled
    assert step.record.next_execution_date == at("2024-01-10T00:00:00")


class _Polling(Trigger):
    type: str = "test.Polling"
    interval: str | None = "PT30S"


def _polling_flow() -> tuple[Flow, Trigger]:
    flow = flow_with(DAILY)
    return flow, _Polling(id="poll")


def test_polling_job_locks_until_its_result() -> None:
    flow, trigger = _polling_flow()
    now = at("2024-01-01T00:00:00")
    record = new_record(flow, trigger, now)
    step = polling_due(flow, trigger, record, now)
    (job,) = step.jobs
    assert step.record.evaluate_running_date == now and job.uid == record.uid
    assert not polling_due(flow, trigger, step.record, now + timedelta(minutes=1)).jobs  # never twice at once
    result = WorkerTriggerResult(uid=job.uid, evaluation_date=job.evaluation_date, variables={"count": 2})
    done = apply_trigger_result(flow, trigger, step.record, result, now + timedelta(seconds=2), SETTINGS)
    (execution,) = done.executions
    assert execution.trigger.variables == {"count": 2}  # type: ignore[union-attr]
    assert done.record.execution_id == execution.id and done.record.evaluate_running_date is None
    assert done.record.next_execution_date == now + timedelta(seconds=30)


def test_polling_empty_result_only_moves_on_and_stale_results_are_ignored() -> None:
    flow, trigger = _polling_flow()
    now = at("2024-01-01T00:00:00")
    step = polling_due(flow, trigger, new_record(flow, trigger, now), now)
    stale = WorkerTriggerResult(
        uid=step.jobs[0].uid, evaluation_date=now - timedelta(minutes=1), variables={}
    )
    assert not apply_trigger_result(flow, trigger, step.record, stale, now, SETTINGS).changed
    empty = WorkerTriggerResult(uid=step.jobs[0].uid, evaluation_date=now)
    done = apply_trigger_result(flow, trigger, step.record, empty, now, SETTINGS)
    assert done.executions == () and not done.record.locked


def test_stale_evaluation_is_released() -> None:
    flow, trigger = _polling_flow()
    now = at("2024-01-01T00:00:00")
    record = new_record(flow, trigger, now).model_copy(update={"evaluate_running_date": now})
    assert release_stale_evaluation(record, now + timedelta(minutes=1), timedelta(minutes=5)).locked
    assert not release_stale_evaluation(record, now + timedelta(minutes=6), timedelta(minutes=5)).locked


def test_record_round_trips_through_json() -> None:
    flow = flow_with(INPUTS)
    step = fire_due(
        flow, _schedule(flow), _record(flow, "2024-01-31T23:00:00"), at("2024-02-01T00:00:00"), SETTINGS
    )
    again = TriggerRecord.from_json(step.record.to_json())
    assert again.next_execution_date is not None
    assert again.next_execution_date.astimezone(UTC) == datetime(2024, 2, 1, 23, tzinfo=UTC)


def test_global_recover_default_from_plugin_configurations() -> None:
    from kestra_stream.scheduler.core.types import recover_default_from

    configurations = [
        {"type": "io.kestra.plugin.core.trigger.Schedule", "values": {"recoverMissedSchedules": "NONE"}}
    ]
    assert recover_default_from(configurations) is RecoverMissedSchedules.NONE
    assert recover_default_from(None) is RecoverMissedSchedules.ALL
