"""What every ``*.Script`` and ``*.Commands`` task shares: running as a local process."""

from __future__ import annotations

import os
import shlex
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from kestra_stream.plugins.base import AnyTaskRunner, RunnableTask, dynamic
from kestra_stream.plugins.context import LogLevel, RunContext
from kestra_stream.plugins.core._values import as_list, as_map, as_text
from kestra_stream.plugins.scripts._files import NamespaceFiles, load_namespace_files, substitute_storage_uris
from kestra_stream.plugins.scripts._process import run_process
from kestra_stream.plugins.scripts._protocol import ScriptOutputCollector
from kestra_stream.runtime.cancellation import current_token
from kestra_stream.runtime.errors import TaskFailure, TaskKilledError
from kestra_stream.runtime.services import flow_namespace
from kestra_stream.runtime.workdir import collect_output_files, write_input_files

_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash"})
OUTPUT_DIR_NAME = ".kestra-outputs"


class ScriptTask(RunnableTask):
    task_runner: AnyTaskRunner | None = None
    container_image: str | None = dynamic(None)
    before_commands: list[str] | str | None = dynamic(None)
    interpreter: list[str] = Field(default_factory=lambda: ["/bin/sh", "-c"])
    env: dict[str, Any] | None = dynamic(None)
    input_files: dict[str, Any] | str | None = dynamic(None)
    output_files: list[str] | None = dynamic(None)
    namespace_files: NamespaceFiles | None = None
    warning_on_std_err: bool | None = None
    fail_fast: bool = True
    target_os: str = Field("AUTO", alias="targetOS")
    # Deprecated pre-0.18 ways to pick a runner; accepted so old flows still load.
    runner: str | None = None
    docker: dict[str, Any] | None = None
    output_directory: bool | None = None

    default_image: ClassVar[str] = "ubuntu"
    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "targetOS": "scripts run on the worker's own operating system",
        "outputDirectory": "files written to {{ outputDir }} are always uploaded",
    }

    def main_commands(self, ctx: RunContext, directory: Path, extra: Mapping[str, Any]) -> list[str]:
        raise NotImplementedError

    def extra_env(self, ctx: RunContext, directory: Path) -> dict[str, str]:
        return {}

    def _check_runner(self, ctx: RunContext) -> None:
        if self.task_runner is not None:
            self.task_runner.before_run(ctx)
        elif self.runner is not None and self.runner.upper() != "PROCESS":
            ctx.logger.warn(f"runner `{self.runner}` is not available: running as a local process")
        if self.container_image or self.docker:
            ctx.logger.warn(
                "containerImage/docker are ignored: the Process task runner uses the worker's tools"
            )

    def _shell_script(self, lines: list[str]) -> str:
        shell = Path(self.interpreter[0]).name if self.interpreter else ""
        if self.fail_fast and shell in _SHELLS:
            lines = ["set -e", *lines]
        return "\n".join(lines)

    def environment(self, ctx: RunContext, directory: Path, output_dir: Path) -> dict[str, str]:
        env = dict(os.environ)
        # The venv's interpreter first: `python` and the `kestra` library resolve to the worker's.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env.update({"WORKING_DIR": str(directory), "OUTPUT_DIR": str(output_dir), "PYTHONUNBUFFERED": "true"})
        env.update(self.extra_env(ctx, directory))
        env.update({str(key): as_text(value) for key, value in as_map(ctx.render(self.env), "env").items()})
        return env

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        self._check_runner(ctx)
        directory = ctx.working_dir
        output_dir = directory / OUTPUT_DIR_NAME
        output_dir.mkdir(exist_ok=True)
        extra = {"workingDir": str(directory), "outputDir": str(output_dir)}
        if self.namespace_files is not None and self.namespace_files.enabled:
            load_namespace_files(ctx, self.namespace_files, directory, flow_namespace(ctx))
        try:
            write_input_files(ctx, directory, as_map(ctx.render(self.input_files, extra), "inputFiles"))
        except ValueError as error:
            raise TaskFailure(f"invalid `inputFiles`: {error}") from error
        before = [as_text(line) for line in as_list(ctx.render(self.before_commands, extra))]
        lines = [*before, *self.main_commands(ctx, directory, extra)]
        script = substitute_storage_uris(ctx, self._shell_script(lines), directory)
        collector = ScriptOutputCollector(ctx, stderr_level=self._stderr_level())
        token = current_token()
        try:
            code = run_process(
                [*self.interpreter, script],
                cwd=directory,
                env=self.environment(ctx, directory, output_dir),
                on_line=collector.line,
                token=token,
            )
        except FileNotFoundError:
            raise TaskFailure(
                f"the interpreter `{self.interpreter[0]}` is not installed on this worker (not found on PATH)"
            ) from None
        outputs: dict[str, Any] = {
            "vars": collector.vars,
            "stdOutLineCount": collector.stdout_lines,
            "stdErrLineCount": collector.stderr_lines,
        }
        if code is None:
            raise TaskKilledError(f"script killed: {token.reason}", outputs=outputs)
        outputs["exitCode"] = code
        patterns = [as_text(item) for item in as_list(ctx.render(self.output_files, extra))]
        files = collect_output_files(ctx, directory, patterns)
        files.update(collect_output_files(ctx, output_dir, ["**"]))
        outputs["outputFiles"] = files
        if code != 0:
            raise TaskFailure(f"Command failed with exit code {code}", outputs=outputs)
        return outputs

    def _stderr_level(self) -> LogLevel:
        # Deprecated flag: true restores the pre-0.21 WARN level for stderr lines.
        return "WARN" if self.warning_on_std_err else "ERROR"


class CommandsTask(ScriptTask):
    commands: list[str] | str = dynamic()

    def main_commands(self, ctx: RunContext, directory: Path, extra: Mapping[str, Any]) -> list[str]:
        return [as_text(line) for line in as_list(ctx.render(self.commands, extra))]


class InlineScriptTask(ScriptTask):
    script: str = dynamic()
    file_suffix: ClassVar[str] = ".sh"

    def launcher(self) -> str:
        raise NotImplementedError

    def main_commands(self, ctx: RunContext, directory: Path, extra: Mapping[str, Any]) -> list[str]:
        path = directory / f"script-{uuid.uuid4().hex[:8]}{self.file_suffix}"
        path.write_text(as_text(ctx.render(self.script, extra)))
        return [f"{self.launcher()} {shlex.quote(str(path))}"]
