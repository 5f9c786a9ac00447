"""The dates of a Schedule (cron) or a ScheduleOnDates (list), behind one interface."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

from kestra_stream.plugins.triggers import Schedule, ScheduleOnDates
from kestra_stream.scheduler.core.cron import CronSchedule, zone


class ScheduleDates(Protocol):
    @property
    def tz(self) -> tzinfo: ...

    def next_after(self, instant: datetime) -> datetime | None: ...

    def previous_before(self, instant: datetime) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class FixedDates:
    dates: tuple[datetime, ...]
    """Sorted, as UTC instants."""
    tz: tzinfo

    def next_after(self, instant: datetime) -> datetime | None:
        index = bisect_right(self.dates, instant.astimezone(UTC))
        return self.dates[index].astimezone(self.tz) if index < len(self.dates) else None

    def previous_before(self, instant: datetime) -> datetime | None:
        index = bisect_left(self.dates, instant.astimezone(UTC))
        return self.dates[index - 1].astimezone(self.tz) if index > 0 else None


def dates_of(trigger: Schedule | ScheduleOnDates) -> ScheduleDates:
    if isinstance(trigger, Schedule):
        return CronSchedule.of(trigger.cron, with_seconds=trigger.with_seconds, timezone=trigger.timezone)
    tz = zone(trigger.timezone)
    return FixedDates(
        tuple(sorted({date.astimezone(UTC).replace(microsecond=0) for date in trigger.dates})), tz
    )


def at_or_after(dates: ScheduleDates, instant: datetime) -> datetime | None:
    return dates.next_after(instant - timedelta(seconds=1))
