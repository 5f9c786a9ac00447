from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kestra_stream.models import DurationError, format_duration, parse_duration, to_timedelta


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT5M", timedelta(minutes=5)),
        ("PT0.25S", timedelta(milliseconds=250)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("P1D", timedelta(days=1)),
        ("P6DT4H", timedelta(days=6, hours=4)),
        ("PT5M6S", timedelta(minutes=5, seconds=6)),
        ("pt1h", timedelta(hours=1)),
        ("-PT5M", -timedelta(minutes=5)),
        ("PT0S", timedelta(0)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P1W", "P1M", "P1Y", "P1Y2M", "5 minutes", "PT", "P", "", "T5M", "PT5X"])
def test_rejected(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


def test_weeks_are_explained() -> None:
    with pytest.raises(DurationError, match="weeks, months and years are not supported"):
        parse_duration("P2W")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(seconds=2.531), "PT2.531S"),
        (timedelta(days=1, hours=2), "PT26H"),
        (timedelta(minutes=5, seconds=6), "PT5M6S"),
        (-timedelta(minutes=5), "PT-5M"),
    ],
)
def test_format_like_java(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@given(st.timedeltas(min_value=timedelta(days=-1000), max_value=timedelta(days=1000)))
def test_round_trip(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [("PT30S", timedelta(seconds=30)), (5, timedelta(seconds=5)), (0.5, timedelta(seconds=0.5))],
)
def test_rendered_values_to_timedelta(value: object, expected: timedelta) -> None:
    assert to_timedelta(value) == expected
    assert to_timedelta(expected) is expected


@pytest.mark.parametrize("value", [True, None, [1], "1S"])
def test_rendered_values_that_are_not_durations(value: object) -> None:
    with pytest.raises(DurationError):
        to_timedelta(value)
