"""Running a task attempt: the concrete run context, sinks, timeouts, cancellation and failures."""

from kestra_stream.runtime._context import ExpressionRenderer, TaskRunContext
from kestra_stream.runtime._expression_services import rendering_engine, rendering_services
from kestra_stream.runtime._files import FileAccessError
from kestra_stream.runtime._logger import TaskRunLogger
from kestra_stream.runtime._run import run_task
from kestra_stream.runtime.cancellation import CancelToken, cancellation_scope, current_token
from kestra_stream.runtime.errors import TaskFailure, TaskKilledError, TaskTimeoutError
from kestra_stream.runtime.services import StorageAware, flow_namespace, storage_services
from kestra_stream.runtime.sinks import (
    CollectingSink,
    LogRecord,
    LogSink,
    MetricRecord,
    MetricSink,
    TaskRunIdentity,
    normalize_level,
)

__all__ = [
    "CancelToken",
    "CollectingSink",
    "ExpressionRenderer",
    "FileAccessError",
    "LogRecord",
    "LogSink",
    "MetricRecord",
    "MetricSink",
    "StorageAware",
    "TaskFailure",
    "TaskKilledError",
    "TaskRunContext",
    "TaskRunIdentity",
    "TaskRunLogger",
    "TaskTimeoutError",
    "cancellation_scope",
    "current_token",
    "flow_namespace",
    "normalize_level",
    "rendering_engine",
    "rendering_services",
    "run_task",
    "storage_services",
]
