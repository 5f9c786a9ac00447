"""Date filters and functions (expressions__filters__dates.md, expressions__functions__dates.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kestra_stream.expressions import ExpressionEngine, ExpressionError

INSTANT = dt.datetime(2024, 1, 15, 9, 5, 3, 123456, tzinfo=dt.UTC)  # a Monday


@pytest.fixture()
def dates() -> dict[str, Any]:
    return {
        "d": INSTANT,
        "paris": INSTANT.astimezone(ZoneInfo("Europe/Paris")),
        "iso": "2024-01-15T09:05:03.123456Z",
        "stringDate": "2024-January-5",
        "epoch": 1705309503,
        "local": dt.date(2024, 1, 15),
    }


FORMATS = [
    ('{{ d | date("yyyy-MM-dd") }}', "2024-01-15"),
    ("{{ d }}", "2024-01-15T09:05:03.123456Z"),
    ("{{ d | date }}", "2024-01-15T09:05:03.123456Z"),
    ("{{ d | date('iso') }}", "2024-01-15T09:05:03.123456Z"),
    ("{{ d | date('iso_sec') }}", "2024-01-15T09:05:03Z"),
    ("{{ d | date('sql') }}", "2024-01-15 09:05:03.123456"),
    ("{{ d | date('sql_seq') }}", "2024-01-15 09:05:03"),
    ("{{ d | date(\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\") }}", "2024-01-15T09:05:03.123Z"),
    ("{{ d | date(\"yyyy-MM-dd'T'HH:mm:ssX\", timeZone='UTC') }}", "2024-01-15T09:05:03Z"),
    ("{{ d | date(\"yyyy-MM-dd'T'HH:mm:ssXXX\", timeZone='Europe/Paris') }}", "2024-01-15T10:05:03+01:00"),
    ("{{ d | date(\"HH:mm Z\", timeZone='Asia/Kolkata') }}", "14:35 +0530"),
    ("{{ d | date(\"x xx xxx\", timeZone='UTC') }}", "+00 +0000 +00:00"),
    ("{{ d | date('VV z O', timeZone='Europe/Paris') }}", "Europe/Paris CET GMT+1"),
    ("{{ d | date('EEEE EEE MMMM MMM d M yy', timeZone='UTC') }}", "Monday Mon January Jan 15 1 24"),
    ("{{ d | date('h:mm a, D, Q, w', timeZone='UTC') }}", "9:05 AM, 15, 1, 3"),
    ("{{ d | date('EEEE d MMMM', locale='fr') }}", "lundi 15 janvier"),
    ("{{ d | date('SSSSSSSSS n') }}", "123456000 123456000"),
    ("{{ d | date(\"'Quarter' Q ''yy\") }}", "Quarter 1 '24"),
    (
        "{{ d | date('iso_date_time', timeZone='Europe/Paris') }}",
        "2024-01-15T10:05:03.123456+01:00[Europe/Paris]",
    ),
    (
        "{{ d | date('iso_zoned_date_time', timeZone='Europe/Paris') }}",
        "2024-01-15T10:05:03.123456+01:00[Europe/Paris]",
    ),
    ("{{ d | date('iso_date') }}", "2024-01-15Z"),
    ("{{ d | date('iso_time') }}", "09:05:03.123456Z"),
    ("{{ d | date('iso_local_date') }}", "2024-01-15"),
    ("{{ d | date('iso_instant', timeZone='Europe/Paris') }}", "2024-01-15T09:05:03.123456Z"),
    ("{{ d | date('iso_local_date_time') }}", "2024-01-15T09:05:03.123456"),
    ("{{ d | date('iso_local_time') }}", "09:05:03.123456"),
    ("{{ d | date('iso_offset_time', timeZone='Europe/Paris') }}", "10:05:03.123456+01:00"),
    ("{{ d | date('iso_ordinal_date') }}", "2024-015Z"),
    ("{{ d | date('iso_week_date') }}", "2024-W03-1Z"),
    ("{{ d | date('rfc_1123_date_time', timeZone='Europe/Paris') }}", "Mon, 15 Jan 2024 10:05:03 +0100"),
    ("{{ d | date('medium') }}", "Jan 15, 2024, 9:05:03 AM"),
    ("{{ d | date('short') }}", "1/15/24, 9:05 AM"),
    ("{{ iso | date('yyyy/MM/dd HH:mm') }}", "2024/01/15 09:05"),
    ("{{ epoch | date('yyyy-MM-dd HH:mm:ss') }}", "2024-01-15 09:05:03"),
    ("{{ local | date('yyyy-MM-dd HH:mm') }}", "2024-01-15 12:00"),  # LocalDate → noon
    ('{{ stringDate | date(existingFormat="yyyy-MMMM-d", format="yyyy/MMMM/d") }}', "2024/January/5"),
    (
        "{{ '15/01/2024 10:30' | date('yyyy-MM-dd HH:mm', existingFormat='dd/MM/yyyy HH:mm') }}",
        "2024-01-15 10:30",
    ),
    ("{{ '20240115' | date('yyyy-MM-dd', existingFormat='yyyyMMdd') }}", "2024-01-15"),
    ("{{ paris | date('HH:mm') }}", "09:05"),  # converted to the server zone (UTC here)
]


@pytest.mark.parametrize(("template", "expected"), FORMATS)
def test_date_filter(engine: ExpressionEngine, dates: dict[str, Any], template: str, expected: str) -> None:
    assert engine.render(template, dates) == expected


DATE_ADD = [
    ("{{ d | dateAdd(-1, 'DAYS') }}", "2024-01-14T09:05:03.123456Z"),
    ("{{ d | dateAdd(1, 'DAYS', format='yyyy-MM-dd') }}", "2024-01-16"),
    ("{{ d | dateAdd(2, 'HOURS', format='HH:mm') }}", "11:05"),
    ("{{ d | dateAdd(-1, 'MONTHS', format='yyyy-MM-dd') }}", "2023-12-15"),
    ("{{ '2024-01-31T00:00:00Z' | dateAdd(1, 'MONTHS', format='yyyy-MM-dd') }}", "2024-02-29"),
    ("{{ '2024-02-29T00:00:00Z' | dateAdd(1, 'YEARS', format='yyyy-MM-dd') }}", "2025-02-28"),
    ("{{ d | dateAdd(1, 'WEEKS', format='yyyy-MM-dd') }}", "2024-01-22"),
    ("{{ d | dateAdd(500, 'MILLIS', format='ss.SSS') }}", "03.623"),
    ("{{ d | dateAdd(1, 'HALF_DAYS', format='HH') }}", "21"),
]


@pytest.mark.parametrize(("template", "expected"), DATE_ADD)
def test_date_add(engine: ExpressionEngine, dates: dict[str, Any], template: str, expected: str) -> None:
    assert engine.render(template, dates) == expected


def test_date_add_across_daylight_saving(engine: ExpressionEngine) -> None:
    """Days keep the wall-clock time across DST; hours are exact durations (ZonedDateTime.plus)."""
    before = {"d": dt.datetime(2024, 3, 30, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))}
    fmt = "format=\"yyyy-MM-dd'T'HH:mmXXX\", timeZone='Europe/Paris'"
    assert engine.render(f"{{{{ d | dateAdd(1, 'DAYS', {fmt}) }}}}", before) == "2024-03-31T12:00+02:00"
    assert engine.render(f"{{{{ d | dateAdd(24, 'HOURS', {fmt}) }}}}", before) == "2024-03-31T13:00+02:00"
    gap = {"d": dt.datetime(2024, 3, 30, 2, 30, tzinfo=ZoneInfo("Europe/Paris"))}
    assert engine.render(f"{{{{ d | dateAdd(1, 'DAYS', {fmt}) }}}}", gap) == "2024-03-31T03:30+02:00"
    autumn = {"d": dt.datetime(2024, 10, 26, 2, 30, tzinfo=ZoneInfo("Europe/Paris"))}
    assert engine.render(f"{{{{ d | dateAdd(1, 'DAYS', {fmt}) }}}}", autumn) == "2024-10-27T02:30+02:00"


def test_time_zone_conversions(engine: ExpressionEngine) -> None:
    summer = {"d": dt.datetime(2024, 7, 1, 12, 0, tzinfo=dt.UTC)}
    assert engine.render("{{ d | date('HH:mm z', timeZone='Europe/Paris') }}", summer) == "14:00 CEST"
    assert engine.render("{{ d | date('HH:mm XXX', timeZone='America/New_York') }}", summer) == "08:00 -04:00"
    assert engine.render("{{ d | date('HH:mm XXX', timeZone='+05:30') }}", summer) == "17:30 +05:30"


TIMESTAMPS = [
    ("{{ d | timestamp }}", "1705309503"),
    ("{{ d | timestampMilli }}", "1705309503123"),
    ("{{ d | timestampMicro }}", "1705309503123456"),
    ("{{ d | timestampNano }}", "1705309503123456000"),
    ("{{ d | timestamp(timeZone='Europe/Paris') }}", "1705309503"),
    (
        "{{ '2024-01-15 10:05:03' | timestamp(existingFormat='yyyy-MM-dd HH:mm:ss', timeZone='Europe/Paris') }}",  # noqa: E501 (documented example kept on one line)
        "1705309503",
    ),
]


@pytest.mark.parametrize(("template", "expected"), TIMESTAMPS)
def test_timestamps(engine: ExpressionEngine, dates: dict[str, Any], template: str, expected: str) -> None:
    assert engine.render(template, dates) == expected


def test_now(engine: ExpressionEngine) -> None:
    """expressions__functions__utilities.md / filters__dates.md worked example."""
    before = dt.datetime.now(dt.UTC)
    now = engine.evaluate("now()", {})
    assert isinstance(now, dt.datetime) and now >= before.replace(microsecond=0) - dt.timedelta(seconds=1)
    paris = engine.evaluate('now(timeZone="Europe/Paris")', {})
    assert paris.tzinfo == ZoneInfo("Europe/Paris")
    assert engine.render("{{ now() | date('yyyy-MM-dd') }}", {}) == dt.datetime.now(dt.UTC).strftime(
        "%Y-%m-%d"
    )
    assert int(engine.render("{{ now() | timestamp(timeZone='Asia/Kolkata') }}", {})) >= int(
        before.timestamp()
    )
    assert len(engine.render("{{ now() | timestampNano(timeZone='Asia/Kolkata') }}", {})) == 19
    yesterday = engine.render("{{ now() | dateAdd(-1, 'DAYS', format='yyyy-MM-dd') }}", {})
    assert yesterday == (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%d")
    assert engine.render("{{ null ?? now() | date('yyyy') }}", {}) == str(dt.datetime.now(dt.UTC).year)


CALENDAR = [
    # expressions__functions__dates.md (2024-01-15 is a Monday)
    ("{{ isWeekend(d) }}", "false"),
    ("{{ isWeekend('2024-01-13T10:00:00Z') }}", "true"),
    ("{{ dayOfWeek(d) }}", "MONDAY"),
    ("{{ dayOfMonth(d) }}", "15"),
    ("{{ monthOfYear(d) }}", "1"),
    ("{{ hourOfDay(d) }}", "9"),
    ("{{ isDayWeekInMonth(d, 'MONDAY', 'THIRD') }}", "true"),
    ("{{ isDayWeekInMonth(d, 'MONDAY', 'FIRST') }}", "false"),
    ("{{ isDayWeekInMonth('2024-01-29T00:00:00Z', 'MONDAY', 'LAST') }}", "true"),
    (
        "{{ isDateBefore(d, '2024-02-01T00:00:00Z') }} {{ isDateAfter(d, '2024-02-01T00:00:00Z') }}",
        "true false",
    ),
    ("{{ isDateBetween(d, '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z') }}", "true"),
    ("{{ isLastWorkingDay('2024-03-29T10:00:00Z') }}", "true"),
    ("{{ d.year }}-{{ d.monthValue }}-{{ d.dayOfMonth }} {{ d.dayOfWeek }}", "2024-1-15 MONDAY"),
]


@pytest.mark.parametrize(("template", "expected"), CALENDAR)
def test_calendar_functions(
    engine: ExpressionEngine, dates: dict[str, Any], template: str, expected: str
) -> None:
    assert engine.render(template, dates) == expected


def test_public_holiday_uses_the_injected_service(engine: ExpressionEngine, dates: dict[str, Any]) -> None:
    from kestra_stream.expressions import ExpressionServices

    holidays = {(dt.date(2024, 1, 15), "US")}
    services = ExpressionServices(is_public_holiday=lambda day, country, sub: (day, country) in holidays)
    assert engine.render("{{ isPublicHoliday(d, 'US') }}", dates, services=services) == "true"
    assert engine.render("{{ isPublicHoliday(d, 'DE', 'DE-BY') }}", dates, services=services) == "false"
    with pytest.raises(ExpressionError, match="isPublicHoliday"):
        engine.render(
            "{{ isPublicHoliday(d, 'US') }}", dates, services=ExpressionServices(is_public_holiday=None)
        )


def test_public_holiday_default_calendar(engine: ExpressionEngine) -> None:
    """Without a service: the ``holidays`` library (ISO 3166-2 subdivisions with or without country)."""
    cases = {
        "{{ isPublicHoliday('2024-07-04', 'US') }}": "true",
        "{{ isPublicHoliday('2024-01-06', 'DE', 'DE-BY') }}": "true",
        "{{ isPublicHoliday('2024-01-06', 'de', 'by') }}": "true",
        "{{ isPublicHoliday('2024-01-06', 'DE') }}": "false",
    }
    for template, expected in cases.items():
        assert engine.render(template, {}) == expected, template
    with pytest.raises(ExpressionError, match="unknown country code `XX`"):
        engine.render("{{ isPublicHoliday('2024-01-06', 'XX') }}", {})
    with pytest.raises(ExpressionError, match="unknown subdivision `ZZ`"):
        engine.render("{{ isPublicHoliday('2024-01-06', 'DE', 'ZZ') }}", {})


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'not a date' | date }}",
        "{{ d | date(timeZone='Mars/Olympus') }}",
        "{{ d | dateAdd(1, 'FORTNIGHTS') }}",
        "{{ '2024' | date(existingFormat='dd/MM') }}",
    ],
)
def test_date_errors(engine: ExpressionEngine, dates: dict[str, Any], template: str) -> None:
    with pytest.raises(ExpressionError):
        engine.render(template, dates)
