"""Trigger conditions evaluated against an upstream execution (kestra-features §3.8, §4.3).

``condition_holds`` evaluates one stateless condition (AND of a list with ``all_hold``);
``upstream_flow_matches`` and ``where_matches`` evaluate the parts of Flow trigger ``preconditions``.
Stateful conditions (``MultipleCondition``, ``preconditions``) are split into named sub-conditions by
``_flow_triggers`` and counted by ``preconditions.py``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from kestra_stream.executor.core._rendering import render_condition
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.models.execution import Execution
from kestra_stream.models.labels import Label
from kestra_stream.plugins.base import Condition
from kestra_stream.plugins.conditions import (
    DateTimeBetween,
    DayWeek,
    DayWeekInMonth,
    ExecutionFlow,
    ExecutionLabels,
    ExecutionNamespace,
    ExecutionOutputs,
    ExecutionStatus,
    Expression,
    FlowCondition,
    FlowNamespaceCondition,
    HasRetryAttempt,
    MultipleCondition,
    NamespaceComparison,
    Not,
    Or,
    TimeBetween,
    Weekend,
)
from kestra_stream.plugins.triggers import Filter, FilterField, FilterType, Operand, UpstreamFlow, Where

_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_POSITIONS = ("FIRST", "SECOND", "THIRD", "FOURTH")


class UnsupportedCondition(ValueError):
    """A condition the executor cannot evaluate (e.g. PublicHoliday without a calendar)."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """What conditions see: the upstream execution and the rendering context built for it."""

    execution: Execution
    context: Mapping[str, Any]
    engine: ExpressionEngine
    now: datetime


def _labels(labels: Any) -> tuple[Label, ...]:
    return tuple(labels or ())


def _has_labels(execution: Execution, wanted: Any) -> bool:
    present = {(label.key, label.value) for label in execution.labels or ()}
    return all((label.key, label.value) in present for label in _labels(wanted))


def _namespace_matches(namespace: str, wanted: str, comparison: NamespaceComparison) -> bool:
    if comparison is NamespaceComparison.PREFIX:
        return namespace.startswith(wanted)
    if comparison is NamespaceComparison.SUFFIX:
        return namespace.endswith(wanted)
    return namespace == wanted


def _date(upstream: Upstream, expression: str) -> datetime:
    rendered = upstream.engine.render(expression, upstream.context).strip()
    if not rendered:
        return upstream.now
    value = datetime.fromisoformat(rendered.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _offset_time(value: str) -> time:
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    parsed = time.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _time_between(upstream: Upstream, condition: TimeBetween) -> bool:
    date = _date(upstream, condition.date)
    for bound, after in ((condition.after, True), (condition.before, False)):
        if bound is None:
            continue
        moment = _offset_time(upstream.engine.render(bound, upstream.context))
        assert moment.tzinfo is not None
        local = date.astimezone(moment.tzinfo).time().replace(tzinfo=None)
        limit = moment.replace(tzinfo=None)
        if (after and local < limit) or (not after and local > limit):
            return False
    return True


def _date_time_between(upstream: Upstream, condition: DateTimeBetween) -> bool:
    date = _date(upstream, condition.date)
    for bound, after in ((condition.after, True), (condition.before, False)):
        if bound is None:
            continue
        limit = (
            _date(upstream, bound) if "{{" in bound else datetime.fromisoformat(bound.replace("Z", "+00:00"))
        )
        if (after and date < limit) or (not after and date > limit):
            return False
    return True


def _day_in_month(date: datetime, position: str) -> bool:
    if position == "LAST":
        return date.day + 7 > calendar.monthrange(date.year, date.month)[1]
    return (date.day - 1) // 7 == _POSITIONS.index(position)


def _has_retry_attempt(execution: Execution, condition: HasRetryAttempt) -> bool:
    for run in execution.task_runs():
        attempts = run.attempts or ()
        if len(attempts) < 2:
            continue
        states = {attempt.state.current for attempt in attempts}
        if condition.in_ is not None and not states & set(condition.in_):
            continue
        if condition.not_in is not None and states & set(condition.not_in):
            continue
        return True
    return False


def condition_holds(condition: Condition, upstream: Upstream) -> bool:
    """One stateless condition; raises :class:`UnsupportedCondition` for those the core cannot evaluate."""
    execution = upstream.execution
    if isinstance(condition, ExecutionFlow | FlowCondition):
        return execution.namespace == condition.namespace and execution.flow_id == condition.flow_id
    if isinstance(condition, ExecutionNamespace):
        comparison = condition.comparison or (
            NamespaceComparison.PREFIX if condition.prefix else NamespaceComparison.EQUALS
        )
        return _namespace_matches(execution.namespace, condition.namespace, comparison)
    if isinstance(condition, FlowNamespaceCondition):
        comparison = NamespaceComparison.PREFIX if condition.prefix else NamespaceComparison.EQUALS
        return _namespace_matches(execution.namespace, condition.namespace, comparison)
    if isinstance(condition, ExecutionStatus):
        state = execution.state.current
        if condition.in_ is not None and state not in condition.in_:
            return False
        return not (condition.not_in is not None and state in condition.not_in)
    if isinstance(condition, ExecutionLabels):
        return _has_labels(execution, condition.labels)
    if isinstance(condition, ExecutionOutputs):
        if not execution.outputs:
            return False
        return render_condition(upstream.engine, condition.expression, upstream.context)
    if isinstance(condition, Expression):
        return render_condition(upstream.engine, condition.expression, upstream.context)
    if isinstance(condition, Not):
        return not any(condition_holds(child, upstream) for child in condition.conditions)
    if isinstance(condition, Or):
        return any(condition_holds(child, upstream) for child in condition.conditions)
    if isinstance(condition, HasRetryAttempt):
        return _has_retry_attempt(execution, condition)
    if isinstance(condition, DayWeek):
        return _DAYS[_date(upstream, condition.date).weekday()] == condition.day_of_week.value
    if isinstance(condition, DayWeekInMonth):
        date = _date(upstream, condition.date)
        return _DAYS[date.weekday()] == condition.day_of_week.value and _day_in_month(
            date, condition.day_in_month.value
        )
    if isinstance(condition, Weekend):
        return _date(upstream, condition.date).weekday() >= 5
    if isinstance(condition, TimeBetween):
        return _time_between(upstream, condition)
    if isinstance(condition, DateTimeBetween):
        return _date_time_between(upstream, condition)
    if isinstance(condition, MultipleCondition):
        raise UnsupportedCondition("MultipleCondition is stateful: evaluated by the precondition store")
    raise UnsupportedCondition(f"condition {condition.type} cannot be evaluated by the executor")


def all_hold(conditions: list[Condition] | None, upstream: Upstream) -> bool:
    """A list of conditions is AND-ed; stateful ``MultipleCondition`` entries are skipped here."""
    return all(
        condition_holds(condition, upstream)
        for condition in conditions or ()
        if not isinstance(condition, MultipleCondition)
    )


def upstream_flow_matches(entry: UpstreamFlow, execution: Execution) -> bool:
    """``preconditions.flows[]``: namespace, optional flowId, states and labels."""
    if execution.namespace != entry.namespace:
        return False
    if entry.flow_id is not None and execution.flow_id != entry.flow_id:
        return False
    if entry.states is not None and execution.state.current not in entry.states:
        return False
    return _has_labels(execution, entry.labels)


def _field_value(field: FilterField, upstream: Upstream, filter_: Filter) -> Any:
    execution = upstream.execution
    if field is FilterField.FLOW_ID:
        return execution.flow_id
    if field is FilterField.NAMESPACE:
        return execution.namespace
    if field is FilterField.STATE:
        return execution.state.current.value
    return (
        upstream.engine.render_typed(filter_.value, upstream.context) if filter_.value is not None else None
    )


def filter_matches(filter_: Filter, upstream: Upstream) -> bool:
    """One ``where`` filter; for EXPRESSION the rendered ``value`` is the operand."""
    actual = _field_value(filter_.field, upstream, filter_)
    kind = filter_.type
    text = "" if actual is None else str(actual)
    expected = filter_.value if filter_.field is not FilterField.EXPRESSION else None
    if kind is FilterType.IS_NULL:
        return actual is None or text == ""
    if kind is FilterType.IS_NOT_NULL:
        return not (actual is None or text == "")
    if kind is FilterType.IS_TRUE:
        return ExpressionEngine.is_truthy(text)
    if kind is FilterType.IS_FALSE:
        return not ExpressionEngine.is_truthy(text)
    if kind is FilterType.IN:
        return text in (filter_.values or [])
    if kind is FilterType.NOT_IN:
        return text not in (filter_.values or [])
    wanted = expected if expected is not None else (filter_.values or [""])[0]
    if kind is FilterType.EQUAL_TO:
        return text == wanted
    if kind is FilterType.NOT_EQUAL_TO:
        return text != wanted
    if kind is FilterType.STARTS_WITH:
        return text.startswith(wanted)
    if kind is FilterType.ENDS_WITH:
        return text.endswith(wanted)
    if kind is FilterType.CONTAINS:
        return wanted in text
    return re.fullmatch(wanted, text) is not None


def where_matches(where: Where, upstream: Upstream) -> bool:
    results = (filter_matches(filter_, upstream) for filter_ in where.filters)
    return all(results) if where.operand is Operand.AND else any(results)
