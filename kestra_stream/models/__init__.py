"""Kestra's data model: executions, task runs, states, logs, and the value types flows use.

The flow document itself (which needs the plugin registry) is :class:`kestra_stream.flows.Flow`.
"""

from kestra_stream.models.dates import Instant, ZonedDateTime, format_instant, format_zoned, utc_now
from kestra_stream.models.durations import (
    Duration,
    DurationError,
    DynamicDuration,
    format_duration,
    is_expression,
    parse_duration,
    to_timedelta,
)
from kestra_stream.models.execution import (
    Breakpoint,
    Execution,
    ExecutionKind,
    ExecutionMetadata,
    ExecutionTrigger,
    TaskRun,
    TaskRunAttempt,
)
from kestra_stream.models.ids import new_id
from kestra_stream.models.labels import Label, Labels, forbidden_system_labels, labels_as_map
from kestra_stream.models.logs import LogEntry, MetricEntry, MetricType
from kestra_stream.models.payload import Payload
from kestra_stream.models.retry import ConstantRetry, ExponentialRetry, RandomRetry, Retry, RetryBehavior
from kestra_stream.models.state import State, StateHistory, StateType
from kestra_stream.models.task_options import LogLevel, TaskCache, WorkerGroup, WorkerGroupFallback
from kestra_stream.models.trigger_context import Backfill, TriggerContext, TriggerRecord

__all__ = [
    "Backfill",
    "Breakpoint",
    "ConstantRetry",
    "Duration",
    "DurationError",
    "DynamicDuration",
    "Execution",
    "ExecutionKind",
    "ExecutionMetadata",
    "ExecutionTrigger",
    "ExponentialRetry",
    "Instant",
    "Label",
    "Labels",
    "LogEntry",
    "LogLevel",
    "MetricEntry",
    "MetricType",
    "Payload",
    "RandomRetry",
    "Retry",
    "RetryBehavior",
    "State",
    "StateHistory",
    "StateType",
    "TaskCache",
    "TaskRun",
    "TaskRunAttempt",
    "TriggerContext",
    "TriggerRecord",
    "WorkerGroup",
    "WorkerGroupFallback",
    "ZonedDateTime",
    "forbidden_system_labels",
    "format_duration",
    "format_instant",
    "format_zoned",
    "is_expression",
    "labels_as_map",
    "new_id",
    "parse_duration",
    "to_timedelta",
    "utc_now",
]
