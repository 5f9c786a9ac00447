"""``storage.LocalFiles`` (deprecated: use ``inputFiles``/``outputFiles`` of script tasks).

Writes ``inputs`` into the attempt's working directory and uploads the files matching
``outputs`` globs; the output ``uris`` maps each relative path to its ``kestra://`` URI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_map
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.workdir import collect_output_files, write_input_files


@plugin("io.kestra.plugin.core.storage.LocalFiles", "io.kestra.core.tasks.storages.LocalFiles")
class LocalFiles(RunnableTask):
    inputs: dict[str, Any] | str | None = dynamic(None)
    outputs: list[str] | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        ctx.logger.warn("LocalFiles is deprecated: use the inputFiles and outputFiles of script tasks")
        try:
            inputs = as_map(ctx.render(self.inputs), "inputs")
        except ValueError as error:
            raise TaskFailure(str(error)) from error
        write_input_files(ctx, ctx.working_dir, inputs)
        patterns = [str(pattern) for pattern in as_list(ctx.render(self.outputs))]
        return {"uris": collect_output_files(ctx, ctx.working_dir, patterns)}
