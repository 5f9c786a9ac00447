"""Calendar helpers: ``isWeekend``, ``dayOfWeek``, ``isDayWeekInMonth``, ``isPublicHoliday``…"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from kestra_stream.expressions import _java_time
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.functions._context import services
from kestra_stream.expressions.services import require

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
POSITIONS = ("FIRST", "SECOND", "THIRD", "FOURTH")


def calendar_functions(default_zone: dt.tzinfo) -> dict[str, Callable[..., Any]]:
    def as_date(value: Any) -> dt.datetime:
        if value is None:
            raise ExpressionError("a date is required")
        return _java_time.to_datetime(value, default_zone)

    def is_weekend(date: Any) -> bool:
        return as_date(date).weekday() >= 5

    def day_of_week(date: Any) -> str:
        return DAYS[as_date(date).weekday()]

    def day_of_month(date: Any) -> int:
        return as_date(date).day

    def month_of_year(date: Any) -> int:
        return as_date(date).month

    def hour_of_day(date: Any) -> int:
        return as_date(date).hour

    def is_day_week_in_month(date: Any, dayOfWeek: str, dayInMonth: str) -> bool:
        value = as_date(date)
        if DAYS[value.weekday()] != dayOfWeek.upper():
            return False
        position = dayInMonth.upper()
        if position == "LAST":
            return value.day + 7 > calendar.monthrange(value.year, value.month)[1]
        if position not in POSITIONS:
            raise ExpressionError(f"isDayWeekInMonth(): unknown position `{dayInMonth}`")
        return (value.day - 1) // 7 == POSITIONS.index(position)

    @pass_context
    def is_public_holiday(
        context: Context, date: Any, countryCode: str, subDivision: str | None = None
    ) -> bool:
        lookup = require(services(context).is_public_holiday, "isPublicHoliday")
        return bool(lookup(as_date(date).date(), countryCode, subDivision))

    def is_date_before(date: Any, other: Any) -> bool:
        return as_date(date) < as_date(other)

    def is_date_after(date: Any, other: Any) -> bool:
        return as_date(date) > as_date(other)

    def is_date_between(date: Any, start: Any, end: Any) -> bool:
        return as_date(start) <= as_date(date) <= as_date(end)

    def is_last_working_day(date: Any) -> bool:
        value = as_date(date).date()
        last = dt.date(value.year, value.month, calendar.monthrange(value.year, value.month)[1])
        while last.weekday() >= 5:
            last -= dt.timedelta(days=1)
        return value == last

    return {
        "isWeekend": is_weekend,
        "dayOfWeek": day_of_week,
        "dayOfMonth": day_of_month,
        "monthOfYear": month_of_year,
        "hourOfDay": hour_of_day,
        "isDayWeekInMonth": is_day_week_in_month,
        "isPublicHoliday": is_public_holiday,
        "isDateBefore": is_date_before,
        "isDateAfter": is_date_after,
        "isDateBetween": is_date_between,
        "isLastWorkingDay": is_last_working_day,
    }
