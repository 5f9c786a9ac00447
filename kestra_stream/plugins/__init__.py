"""Task, trigger and condition plugins and their registry."""

from kestra_stream.plugins.base import (
    AnyCondition,
    AnyTask,
    AnyTaskRunner,
    AnyTrigger,
    Condition,
    ExecutionUpdatingTask,
    FlowableTask,
    KestraModel,
    Plugin,
    PollingTrigger,
    RunnableTask,
    Task,
    TaskRunner,
    Trigger,
    dynamic,
)
from kestra_stream.plugins.context import KVStore, RunContext, TaskLogger
from kestra_stream.plugins.registry import (
    PluginConflictError,
    PluginRegistry,
    UnknownPluginError,
    plugin,
    registry,
)

__all__ = [
    "AnyCondition",
    "AnyTask",
    "AnyTaskRunner",
    "AnyTrigger",
    "Condition",
    "ExecutionUpdatingTask",
    "FlowableTask",
    "KVStore",
    "KestraModel",
    "Plugin",
    "PluginConflictError",
    "PluginRegistry",
    "PollingTrigger",
    "RunContext",
    "RunnableTask",
    "Task",
    "TaskLogger",
    "TaskRunner",
    "Trigger",
    "UnknownPluginError",
    "dynamic",
    "plugin",
    "registry",
]
