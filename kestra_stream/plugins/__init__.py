"""Task, trigger and condition plugins and their registry."""

from kestra_stream.plugins.base import FlowableTask, KestraModel, Plugin, RunnableTask, Task, dynamic
from kestra_stream.plugins.context import KVStore, RunContext, TaskLogger
from kestra_stream.plugins.registry import PluginRegistry, UnknownPluginError, plugin, registry

__all__ = [
    "FlowableTask",
    "KVStore",
    "KestraModel",
    "Plugin",
    "PluginRegistry",
    "RunContext",
    "RunnableTask",
    "Task",
    "TaskLogger",
    "UnknownPluginError",
    "dynamic",
    "plugin",
    "registry",
]
