"""``io.kestra.plugin.git``: Clone, SyncFlows, PushFlows, SyncNamespaceFiles, PushNamespaceFiles
on the real ``git`` command line. Registered through the ``kestra_stream.plugins`` entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestra_stream.plugins.base import Plugin
from kestra_stream_plugins.git.clone import Clone
from kestra_stream_plugins.git.files import PushNamespaceFiles, SyncNamespaceFiles
from kestra_stream_plugins.git.flows import PushFlows, SyncFlows

if TYPE_CHECKING:
    from kestra_stream.plugins.registry import PluginRegistry

TASKS: dict[str, type[Plugin]] = {
    "io.kestra.plugin.git.Clone": Clone,
    "io.kestra.plugin.git.SyncFlows": SyncFlows,
    "io.kestra.plugin.git.PushFlows": PushFlows,
    "io.kestra.plugin.git.SyncNamespaceFiles": SyncNamespaceFiles,
    "io.kestra.plugin.git.PushNamespaceFiles": PushNamespaceFiles,
}


def register(registry: PluginRegistry) -> None:
    for type_name, cls in TASKS.items():
        registry.add(cls, type_name)
