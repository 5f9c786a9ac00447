"""Cron dates: fields, nicknames, seconds, time zones and DST as cron-utils does."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from kestra_stream.scheduler.core.cron import CronSchedule
from tests.scheduler.helpers import at

PARIS = ZoneInfo("Europe/Paris")


def _series(cron: CronSchedule, start: datetime, count: int) -> list[str]:
    out: list[str] = []
    current: datetime | None = start
    for _ in range(count):
        assert current is not None
        current = cron.next_after(current)
        assert current is not None
        out.append(current.isoformat())
    return out


def test_five_fields_minute_precision() -> None:
    cron = CronSchedule.of("*/15 * * * *")
    assert _series(cron, at("2024-01-01T00:07:30"), 2) == [
        "2024-01-01T00:15:00+00:00",
        "2024-01-01T00:30:00+00:00",
    ]


def test_six_fields_with_seconds() -> None:
    cron = CronSchedule.of("*/10 * * * * *", with_seconds=True)
    assert _series(cron, at("2024-01-01T00:00:00"), 2) == [
        "2024-01-01T00:00:10+00:00",
        "2024-01-01T00:00:20+00:00",
    ]


@pytest.mark.parametrize(
    ("nickname", "expected"),
    [
        ("@hourly", "2024-01-10T11:00:00+00:00"),
        ("@daily", "2024-01-11T00:00:00+00:00"),
        ("@midnight", "2024-01-11T00:00:00+00:00"),
        ("@weekly", "2024-01-14T00:00:00+00:00"),
        ("@monthly", "2024-02-01T00:00:00+00:00"),
        ("@yearly", "2025-01-01T00:00:00+00:00"),
        ("@annually", "2025-01-01T00:00:00+00:00"),
    ],
)
def test_nicknames(nickname: str, expected: str) -> None:
    assert CronSchedule.of(nickname).next_after(at("2024-01-10T10:30:00")).isoformat() == expected  # type: ignore[union-attr]


def test_last_day_of_month() -> None:
    assert CronSchedule.of("0 12 L * *").next_after(at("2024-02-10T00:00:00")).isoformat() == (  # type: ignore[union-attr]
        "2024-02-29T12:00:00+00:00"
    )


def test_timezone_evaluates_wall_clock_of_the_zone() -> None:
    cron = CronSchedule.of("0 9 * * *", timezone="America/New_York")
    date = cron.next_after(at("2024-01-10T00:00:00"))
    assert date is not None and date.astimezone(UTC).isoformat() == "2024-01-10T14:00:00+00:00"


def test_dst_gap_fires_once_shifted_forward() -> None:
    cron = CronSchedule.of("30 2 * * *", timezone="Europe/Paris")
    dates = _series(cron, datetime(2024, 3, 30, 12, tzinfo=PARIS), 2)
    assert dates == ["2024-03-31T03:30:00+02:00", "2024-04-01T02:30:00+02:00"]


def test_dst_gap_hourly_skips_nothing_that_exists() -> None:
    cron = CronSchedule.of("0 * * * *", timezone="Europe/Paris")
    dates = _series(cron, datetime(2024, 3, 31, 0, 30, tzinfo=PARIS), 3)
    assert dates == ["2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00", "2024-03-31T04:00:00+02:00"]


def test_dst_overlap_daily_fires_once_at_first_occurrence() -> None:
    cron = CronSchedule.of("30 2 * * *", timezone="Europe/Paris")
    dates = _series(cron, datetime(2024, 10, 26, 12, tzinfo=PARIS), 2)
    assert dates == ["2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"]


def test_dst_overlap_frequent_cron_fires_in_both_occurrences() -> None:
    cron = CronSchedule.of("*/30 * * * *", timezone="Europe/Paris")
    dates = [
        value.astimezone(UTC).strftime("%H:%M")
        for value in map(
            datetime.fromisoformat, _series(cron, datetime(2024, 10, 27, 1, 50, tzinfo=PARIS), 5)
        )
    ]
    assert dates == ["00:00", "00:30", "01:00", "01:30", "02:00"]  # a regular pace in absolute time


def test_previous_mirrors_next_through_an_overlap() -> None:
    cron = CronSchedule.of("*/30 * * * *", timezone="Europe/Paris")
    date = datetime(2024, 10, 27, 3, 0, tzinfo=PARIS)
    previous = [cron.previous_before(date)]
    for _ in range(3):
        previous.append(cron.previous_before(previous[-1]))  # type: ignore[arg-type]
    assert [value.astimezone(UTC).strftime("%H:%M") for value in previous] == [
        "01:30",
        "01:00",
        "00:30",
        "00:00",
    ]  # type: ignore[union-attr]


def test_dates_between_is_inclusive_and_ordered() -> None:
    cron = CronSchedule.of("0 0 * * *")
    dates = list(cron.dates_between(at("2024-01-01T00:00:00"), at("2024-01-03T00:00:00")))
    assert [value.day for value in dates] == [1, 2, 3]
