"""``io.kestra.plugin.scripts.shell.Script`` and ``.Commands``."""

from __future__ import annotations

import shlex
from pathlib import Path

from kestra_stream.plugins.registry import plugin
from kestra_stream.plugins.scripts._base import CommandsTask, InlineScriptTask

_SHELLS = ("sh", "bash", "dash", "zsh", "ksh", "ash")


@plugin("io.kestra.plugin.scripts.shell.Commands")
class Commands(CommandsTask):
    pass


@plugin("io.kestra.plugin.scripts.shell.Script")
class Script(InlineScriptTask):
    def launcher(self) -> str:
        shell = self.interpreter[0] if self.interpreter else "/bin/sh"
        return shlex.quote(shell) if Path(shell).name in _SHELLS else "/bin/sh"
