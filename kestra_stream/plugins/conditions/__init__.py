"""Condition models (``io.kestra.plugin.core.condition.*``), old names registered as aliases."""

from kestra_stream.plugins.conditions.dates import (
    DateTimeBetween,
    DayInMonth,
    DayOfWeek,
    DayWeek,
    DayWeekInMonth,
    PublicHoliday,
    TimeBetween,
    Weekend,
)
from kestra_stream.plugins.conditions.execution import (
    ExecutionFlow,
    ExecutionLabels,
    ExecutionNamespace,
    ExecutionOutputs,
    ExecutionStatus,
    FlowCondition,
    FlowNamespaceCondition,
    HasRetryAttempt,
    NamespaceComparison,
)
from kestra_stream.plugins.conditions.expression import Expression
from kestra_stream.plugins.conditions.logic import Not, Or
from kestra_stream.plugins.conditions.multiple import MultipleCondition
from kestra_stream.plugins.conditions.time_window import TimeWindow, TimeWindowType

__all__ = [
    "DateTimeBetween",
    "DayInMonth",
    "DayOfWeek",
    "DayWeek",
    "DayWeekInMonth",
    "ExecutionFlow",
    "ExecutionLabels",
    "ExecutionNamespace",
    "ExecutionOutputs",
    "ExecutionStatus",
    "Expression",
    "FlowCondition",
    "FlowNamespaceCondition",
    "HasRetryAttempt",
    "MultipleCondition",
    "NamespaceComparison",
    "Not",
    "Or",
    "PublicHoliday",
    "TimeBetween",
    "TimeWindow",
    "TimeWindowType",
    "Weekend",
]
