"""Schedule conditions (kestra-features §3.8): predicates on ``{{ trigger.date }}`` of a candidate date.

A list is AND-ed. Conditions about an upstream execution (ExecutionStatus, ExecutionFlow, ...) and
stateful ones (MultipleCondition) mean nothing for a schedule: :class:`UnsupportedScheduleCondition`.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from typing import Any

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.expressions.holidays import is_public_holiday
from kestra_stream.plugins.base import Condition
from kestra_stream.plugins.conditions import (
    DateTimeBetween,
    DayWeek,
    DayWeekInMonth,
    Expression,
    Not,
    Or,
    PublicHoliday,
    TimeBetween,
    Weekend,
)

_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_POSITIONS = ("FIRST", "SECOND", "THIRD", "FOURTH")


class UnsupportedScheduleCondition(ValueError):
    pass


def _parse_date(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _date(condition: Any, engine: ExpressionEngine, context: Mapping[str, Any]) -> datetime:
    return _parse_date(engine.render(condition.date, context))


def _offset_time(text: str) -> time:
    text = text.strip()
    parsed = time.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def day_in_month_matches(date: datetime, position: str) -> bool:
    """FIRST..FOURTH: the n-th such weekday of the month; LAST: within the month's last seven days."""
    if position == "LAST":
        return date.day + 7 > calendar.monthrange(date.year, date.month)[1]
    return (date.day - 1) // 7 == _POSITIONS.index(position)


def time_between(date: datetime, after: time | None, before: time | None) -> bool:
    """Bounds are inclusive, compared in each bound's own offset (Kestra's OffsetTime)."""
    for bound, is_after in ((after, True), (before, False)):
        if bound is None:
            continue
        assert bound.tzinfo is not None
        local = date.astimezone(bound.tzinfo).time()
        limit = bound.replace(tzinfo=None)
        if (is_after and local < limit) or (not is_after and local > limit):
            return False
    return True


def schedule_condition_holds(
    condition: Condition, engine: ExpressionEngine, context: Mapping[str, Any]
) -> bool:
    if isinstance(condition, DayWeek):
        return _DAYS[_date(condition, engine, context).weekday()] == condition.day_of_week.value
    if isinstance(condition, DayWeekInMonth):
        date = _date(condition, engine, context)
        return _DAYS[date.weekday()] == condition.day_of_week.value and day_in_month_matches(
            date, condition.day_in_month.value
        )
    if isinstance(condition, Weekend):
        return _date(condition, engine, context).weekday() >= 5
    if isinstance(condition, TimeBetween):
        render = engine.render
        return time_between(
            _date(condition, engine, context),
            _offset_time(render(condition.after, context)) if condition.after else None,
            _offset_time(render(condition.before, context)) if condition.before else None,
        )
    if isinstance(condition, DateTimeBetween):
        date = _date(condition, engine, context)
        after = _parse_date(engine.render(condition.after, context)) if condition.after else None
        before = _parse_date(engine.render(condition.before, context)) if condition.before else None
        return (after is None or date >= after) and (before is None or date <= before)
    if isinstance(condition, Expression):
        return ExpressionEngine.is_truthy(engine.render(condition.expression, context).strip())
    if isinstance(condition, Not):
        return not any(schedule_condition_holds(child, engine, context) for child in condition.conditions)
    if isinstance(condition, Or):
        return any(schedule_condition_holds(child, engine, context) for child in condition.conditions)
    if isinstance(condition, PublicHoliday):
        country = engine.render(condition.country, context) if condition.country else None
        division = engine.render(condition.sub_division, context) if condition.sub_division else None
        return is_public_holiday(_date(condition, engine, context).date(), country, division)
    raise UnsupportedScheduleCondition(f"condition {condition.type} cannot be used on a schedule")


def all_schedule_conditions_hold(
    conditions: Sequence[Condition] | None, engine: ExpressionEngine, context: Mapping[str, Any]
) -> bool:
    return all(schedule_condition_holds(condition, engine, context) for condition in conditions or ())
