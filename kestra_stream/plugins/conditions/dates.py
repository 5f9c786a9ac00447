"""Conditions on a date, by default the trigger's (``{{ trigger.date }}``)."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from pydantic import field_validator, model_validator

from kestra_stream.models.durations import is_expression
from kestra_stream.plugins.base import Condition, dynamic
from kestra_stream.plugins.conditions._aliases import condition_type
from kestra_stream.plugins.registry import plugin

TRIGGER_DATE = "{{ trigger.date }}"


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class DayInMonth(StrEnum):
    FIRST = "FIRST"
    SECOND = "SECOND"
    THIRD = "THIRD"
    FOURTH = "FOURTH"
    LAST = "LAST"


class _OnDate(Condition):
    date: str = dynamic(TRIGGER_DATE)


@plugin(*condition_type("DayWeek"))
class DayWeek(_OnDate):
    day_of_week: DayOfWeek


@plugin(*condition_type("DayWeekInMonth"))
class DayWeekInMonth(_OnDate):
    day_of_week: DayOfWeek
    day_in_month: DayInMonth


@plugin(*condition_type("Weekend"))
class Weekend(_OnDate):
    pass


def _parse_offset_time(value: str) -> time:
    return time.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


def _parse_zoned(value: str) -> datetime:
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


@plugin(*condition_type("TimeBetween"))
class TimeBetween(_OnDate):
    after: str | None = dynamic(None)
    before: str | None = dynamic(None)

    @field_validator("after", "before")
    @classmethod
    def _is_time(cls, value: str | None) -> str | None:
        if value is not None and not is_expression(value):
            try:
                _parse_offset_time(value)
            except ValueError:
                raise ValueError(
                    f"invalid time `{value}`, expected e.g. `14:30:00` or `14:30:00+02:00`"
                ) from None
        return value

    @model_validator(mode="after")
    def _one_bound(self) -> TimeBetween:
        if self.after is None and self.before is None:
            raise ValueError("one of `after` or `before` is required")
        return self


@plugin(*condition_type("DateTimeBetween"))
class DateTimeBetween(_OnDate):
    after: str | None = dynamic(None)
    before: str | None = dynamic(None)

    @field_validator("after", "before")
    @classmethod
    def _is_date_time(cls, value: str | None) -> str | None:
        if value is not None and not is_expression(value):
            try:
                _parse_zoned(value)
            except ValueError:
                raise ValueError(f"invalid date-time `{value}`, expected ISO-8601 with an offset") from None
        return value

    @model_validator(mode="after")
    def _one_bound(self) -> DateTimeBetween:
        if self.after is None and self.before is None:
            raise ValueError("one of `after` or `before` is required")
        return self


@plugin(*condition_type("PublicHoliday"))
class PublicHoliday(_OnDate):
    country: str | None = None
    sub_division: str | None = None
