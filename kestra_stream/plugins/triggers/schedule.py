"""``Schedule`` and ``ScheduleOnDates``: triggers evaluated by the scheduler."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from kestra_stream.models.dates import ZonedDateTime
from kestra_stream.models.document import field_error
from kestra_stream.models.durations import Duration
from kestra_stream.plugins.base import AnyCondition, Trigger, dynamic
from kestra_stream.plugins.registry import plugin
from kestra_stream.plugins.triggers.cron import CronError, normalize_cron


class RecoverMissedSchedules(StrEnum):
    ALL = "ALL"
    LAST = "LAST"
    NONE = "NONE"


class ScheduleVariables(BaseModel):
    """What ``{{ trigger.* }}`` holds in a scheduled execution."""

    date: str
    next: str | None = None
    previous: str | None = None


def _check_zone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone `{value}`") from None
    return value


@plugin(
    "io.kestra.plugin.core.trigger.Schedule",
    "io.kestra.core.models.triggers.types.Schedule",
)
class Schedule(Trigger):
    cron: str
    with_seconds: bool = False
    timezone: str | None = Field(None, description="IANA zone; UTC when omitted.")
    inputs: dict[str, Any] | None = dynamic(None)
    recover_missed_schedules: RecoverMissedSchedules | None = None
    late_maximum_delay: Duration | None = None
    backfill: dict[str, Any] | None = Field(None, description="Deprecated: backfills are runtime operations.")
    schedule_conditions: list[AnyCondition] | None = Field(
        None, description="Deprecated alias of `conditions`."
    )
    interval: Duration | None = Field(None, description="Unused by the scheduler; kept for old flows.")
    outputs_model = ScheduleVariables

    _zone = field_validator("timezone")(_check_zone)

    @model_validator(mode="after")
    def _cron_parses(self) -> Schedule:
        try:
            normalize_cron(self.cron, with_seconds=self.with_seconds)
        except CronError as error:
            raise field_error("Schedule", ("cron",), str(error), self.cron) from None
        return self

    def croniter_expression(self) -> str:
        return normalize_cron(self.cron, with_seconds=self.with_seconds)


@plugin("io.kestra.plugin.core.trigger.ScheduleOnDates")
class ScheduleOnDates(Trigger):
    dates: list[ZonedDateTime] = Field(min_length=1)
    timezone: str | None = None
    inputs: dict[str, Any] | None = dynamic(None)
    recover_missed_schedules: RecoverMissedSchedules | None = None
    outputs_model = ScheduleVariables

    _zone = field_validator("timezone")(_check_zone)
