"""Cron dates in a time zone, with the daylight-saving rules of Kestra's cron library (cron-utils ≥ 9.1.7).

croniter walks *wall-clock* (naive) times; this module turns them into instants:

* **Gap** (spring forward): a wall time that does not exist fires once, shifted forward by the gap
  (``30 2 * * *`` in Europe/Paris on 2024-03-31 fires at 03:30+02:00), as Java's
  ``ZonedDateTime.of`` resolves it.
* **Overlap** (fall back): a wall time that occurs twice fires once, at its first occurrence, unless
  the cron runs at least every hour (hour field ``*``): then both occurrences fire, so an every-minute
  cron keeps a regular pace through the repeated hour (cron-utils PR #490).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from croniter import croniter

from kestra_stream.plugins.triggers.cron import normalize_cron

_TRANSITION_HORIZON = timedelta(hours=3)
_SEARCH_LIMIT = 10_000


@lru_cache(maxsize=256)
def zone(name: str | None) -> tzinfo:
    return UTC if name is None else ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed cron in a zone; every date it returns is an aware datetime in that zone."""

    expression: str
    with_seconds: bool
    tz: tzinfo

    @classmethod
    def of(cls, cron: str, *, with_seconds: bool = False, timezone: str | None = None) -> CronSchedule:
        return cls(normalize_cron(cron, with_seconds=with_seconds), with_seconds, zone(timezone))

    @property
    def hourly_or_more(self) -> bool:
        fields = self.expression.split(" ")
        hour = fields[2] if self.with_seconds else fields[1]
        return hour == "*"

    def _instants(self, wall: datetime) -> list[datetime]:
        """The instants a matching wall-clock time fires at (none, one or two)."""
        first = wall.replace(tzinfo=self.tz, fold=0)
        second = wall.replace(tzinfo=self.tz, fold=1)
        if first.utcoffset() == second.utcoffset():
            return [first]
        if _exists(first):
            return [first, second] if self.hourly_or_more else [first]
        # a gap: fold=0 reads the wall time with the offset before the transition, i.e. shifted forward
        return [first.astimezone(UTC).astimezone(self.tz)]

    def _walk(self, start: datetime, forward: bool) -> Iterator[datetime]:
        it = croniter(self.expression, start, second_at_beginning=self.with_seconds)
        for _ in range(_SEARCH_LIMIT):
            yield it.get_next(datetime) if forward else it.get_prev(datetime)

    def next_after(self, instant: datetime) -> datetime | None:
        """The first firing strictly after ``instant`` (truncated to the second)."""
        instant = _truncate(instant).astimezone(self.tz)
        wall = instant.replace(tzinfo=None)
        # the wall clock goes back at an overlap: start early enough to see its repeated times
        drop = instant.utcoffset() - (instant + _TRANSITION_HORIZON).utcoffset()  # type: ignore[operator]
        start = wall - max(drop, timedelta(0)) - timedelta(seconds=1)
        best: datetime | None = None
        for candidate in self._walk(start, forward=True):
            for fired in self._instants(candidate):
                # aware datetimes of one tzinfo compare by wall time: compare in UTC
                if _utc(fired) > _utc(instant) and (best is None or _utc(fired) < _utc(best)):
                    best = fired
            if best is not None and candidate - wall > _TRANSITION_HORIZON + abs(drop):
                break
            if best is not None and drop == timedelta(0):
                break
        return best

    def previous_before(self, instant: datetime) -> datetime | None:
        """The last firing strictly before ``instant``."""
        instant = _truncate(instant).astimezone(self.tz)
        wall = instant.replace(tzinfo=None)
        rise = (instant - _TRANSITION_HORIZON).utcoffset() - instant.utcoffset()  # type: ignore[operator]
        start = wall + max(rise, timedelta(0)) + timedelta(seconds=1)
        best: datetime | None = None
        for candidate in self._walk(start, forward=False):
            for fired in self._instants(candidate):
                if _utc(fired) < _utc(instant) and (best is None or _utc(fired) > _utc(best)):
                    best = fired
            if best is not None and wall - candidate > _TRANSITION_HORIZON + abs(rise):
                break
            if best is not None and rise == timedelta(0):
                break
        return best

    def first_at_or_after(self, instant: datetime) -> datetime | None:
        return self.next_after(_truncate(instant) - timedelta(seconds=1))

    def dates_between(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every firing in ``[start, end]``, in order."""
        current = self.first_at_or_after(start)
        while current is not None and _utc(current) <= _utc(end):
            yield current
            current = self.next_after(current)


def _exists(value: datetime) -> bool:
    round_trip = value.astimezone(UTC).astimezone(value.tzinfo)
    return round_trip.replace(tzinfo=None) == value.replace(tzinfo=None)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _truncate(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.replace(microsecond=0)
