"""``io.kestra.plugin.scripts.python.Script`` and ``.Commands``, on the worker's Python by default.

``dependencies`` are installed with pip into a per-attempt directory put on ``PYTHONPATH``.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.plugins.scripts._base import CommandsTask, InlineScriptTask, ScriptTask

_DEPS_DIR = ".python-deps"


class _PythonTask(ScriptTask):
    dependencies: list[str] | None = None
    default_image: ClassVar[str] = "python:3.13-slim"

    def dependency_commands(self, ctx: RunContext) -> list[str]:
        packages = [as_text(item) for item in as_list(ctx.render(self.dependencies))]
        if not packages:
            return []
        quoted = " ".join(shlex.quote(package) for package in packages)
        return [
            f"{shlex.quote(sys.executable)} -m pip install --quiet --disable-pip-version-check "
            f"--target {_DEPS_DIR} {quoted}"
        ]

    def extra_env(self, ctx: RunContext, directory: Path) -> dict[str, str]:
        if not self.dependencies:
            return {}
        return {"PYTHONPATH": str(directory / _DEPS_DIR)}


@plugin("io.kestra.plugin.scripts.python.Commands")
class Commands(_PythonTask, CommandsTask):
    def main_commands(self, ctx: RunContext, directory: Path, extra: Mapping[str, Any]) -> list[str]:
        return [*self.dependency_commands(ctx), *super().main_commands(ctx, directory, extra)]


@plugin("io.kestra.plugin.scripts.python.Script")
class Script(_PythonTask, InlineScriptTask):
    file_suffix: ClassVar[str] = ".py"

    def launcher(self) -> str:
        return "python"

    def main_commands(self, ctx: RunContext, directory: Path, extra: Mapping[str, Any]) -> list[str]:
        return [*self.dependency_commands(ctx), *super().main_commands(ctx, directory, extra)]
