"""WARN lines for the properties a flow sets that kestra-stream accepts but does not implement
(``Plugin.unsupported_properties``): nothing validation accepts is ignored silently."""

from __future__ import annotations

from kestra_stream.executor.core._working import Working
from kestra_stream.flows.model import Flow
from kestra_stream.flows.walk import walk_plugins
from kestra_stream.models.task_options import LogLevel


def warn_unsupported_properties(working: Working, flow: Flow) -> None:
    for located in walk_plugins(flow):
        plugin = located.plugin
        for name, instead in plugin.unsupported_in_use():
            where = getattr(plugin, "id", None) or ".".join(str(part) for part in located.path)
            working.log(
                LogLevel.WARN,
                f"`{name}` of `{where}` ({plugin.type}) is not supported by kestra-stream and is ignored: "
                f"{instead}",
            )
