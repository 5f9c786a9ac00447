"""``io.kestra.plugin.scripts.node.Script`` and ``.Commands`` (``node`` from the worker's PATH)."""

from __future__ import annotations

from typing import ClassVar

from kestra_stream.plugins.registry import plugin
from kestra_stream.plugins.scripts._base import CommandsTask, InlineScriptTask


@plugin("io.kestra.plugin.scripts.node.Commands")
class Commands(CommandsTask):
    default_image: ClassVar[str] = "node"


@plugin("io.kestra.plugin.scripts.node.Script")
class Script(InlineScriptTask):
    default_image: ClassVar[str] = "node"
    file_suffix: ClassVar[str] = ".js"

    def launcher(self) -> str:
        return "node"
