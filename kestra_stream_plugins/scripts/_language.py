"""``Script`` and ``Commands`` tasks of one language runtime, on the Process task runner.

A language is a table row (:class:`Language`): the executable a script is launched with, the file
suffix Kestra uses, the default container image (kept for the schema; the Process runner ignores
it). A worker without the runtime fails the task with a message naming the missing interpreter.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from kestra_stream.models.document import KestraModel
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.scripts import CommandsTask, InlineScriptTask, ScriptTask
from kestra_stream.runtime.errors import TaskFailure

# The exit code of a shell that did not find the command it was asked to run.
_COMMAND_NOT_FOUND = 127


@dataclass(frozen=True, kw_only=True)
class Language:
    """One runtime: ``launcher`` is the command a Script's file is run with (``go run``, ``Rscript``)."""

    package: str
    title: str
    executable: str
    launcher: tuple[str, ...]
    suffix: str
    image: str
    interpreter: tuple[str, ...] = ("/bin/sh", "-c")
    install_hint: str = ""

    def missing_message(self, task_type: str) -> str:
        hint = f" ({self.install_hint})" if self.install_hint else ""
        return (
            f"{task_type} needs the {self.title} interpreter `{self.executable}`, which is not installed "
            f"on this worker (not found on PATH){hint}"
        )


class ScriptOutputs(KestraModel):
    """Kestra's ``ScriptOutput``."""

    vars: dict[str, Any] = Field(default_factory=dict, description='Outputs sent with `::{"outputs":...}::`.')
    exit_code: int = Field(description="The exit code of the process.")
    output_files: dict[str, str] = Field(
        default_factory=dict, description="`outputFiles` by name: their URIs."
    )
    std_out_line_count: int = Field(0, description="Lines written to stdout.")
    std_err_line_count: int = Field(0, description="Lines written to stderr.")


class LanguageTask(ScriptTask):
    language: ClassVar[Language]
    outputs_model = ScriptOutputs

    def runtime_missing(self, ctx: RunContext) -> bool:
        path = self.environment(ctx, ctx.working_dir, ctx.working_dir).get("PATH", os.defpath)
        return shutil.which(self.language.executable, path=path) is None

    def require_runtime(self, ctx: RunContext) -> None:
        if self.runtime_missing(ctx):
            raise TaskFailure(self.language.missing_message(self.plugin_type))


class LanguageCommands(LanguageTask, CommandsTask):
    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        if self.interpreter[0] == self.language.executable:  # e.g. PowerShell runs commands itself
            self.require_runtime(ctx)
        try:
            return super().run(ctx)
        except TaskFailure as failure:
            # Commands may call anything; a "not found" exit with the runtime absent is the likely cause.
            if failure.outputs.get("exitCode") == _COMMAND_NOT_FOUND and self.runtime_missing(ctx):
                raise TaskFailure(
                    self.language.missing_message(self.plugin_type), outputs=failure.outputs
                ) from failure
            raise


class LanguageScript(LanguageTask, InlineScriptTask):
    def launcher(self) -> str:
        return " ".join(self.language.launcher)

    def main_commands(self, ctx: RunContext, directory: Path, extra: Mapping[str, Any]) -> list[str]:
        self.require_runtime(ctx)
        return super().main_commands(ctx, directory, extra)


def language_tasks(language: Language) -> tuple[type[LanguageCommands], type[LanguageScript]]:
    """The ``Commands`` and ``Script`` classes of a language, named as Kestra's (module included)."""
    module = f"kestra_stream_plugins.scripts.{language.package}"
    interpreter = list(language.interpreter)
    namespace: dict[str, Any] = {
        "__module__": module,
        "language": language,
        "default_image": language.image,
        "__annotations__": {"interpreter": list[str]},
        "interpreter": Field(default_factory=lambda: list(interpreter)),
    }
    commands = type(
        "Commands",
        (LanguageCommands,),
        {
            **namespace,
            "__qualname__": "Commands",
            "__doc__": (
                f"Run {language.title} commands (Kestra's `io.kestra.plugin.scripts.{language.package}."
                f"Commands`) as a local process, e.g. `{language.executable} main{language.suffix}` on a "
                f"file from `inputFiles` or `namespaceFiles`. Outputs and metrics use the "
                '`::{"outputs": {...}}::` protocol on stdout.'
            ),
        },
    )
    script = type(
        "Script",
        (LanguageScript,),
        {
            **namespace,
            "__qualname__": "Script",
            "file_suffix": language.suffix,
            "__doc__": (
                f"Run an inline {language.title} script (Kestra's `io.kestra.plugin.scripts."
                f"{language.package}.Script`): `script` is written to a `{language.suffix}` file and run "
                f"with `{' '.join(language.launcher)}` after the `beforeCommands`. Outputs and metrics use "
                'the `::{"outputs": {...}}::` protocol on stdout.'
            ),
        },
    )
    return commands, script
