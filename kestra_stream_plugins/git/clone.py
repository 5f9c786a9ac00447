"""``io.kestra.plugin.git.Clone``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.storage import safe_relative_path
from kestra_stream_plugins.git._base import GitTask
from kestra_stream_plugins.git._outputs import CloneOutputs


class Clone(GitTask):
    """Clone a repository (`url`, `branch`, `depth` default 1) into the task's working directory or its
    `directory`; use it in a WorkingDirectory so the next tasks see the files. Authentication:
    `username`/`password` (a token) over HTTP(S), `privateKey`/`passphrase` over SSH."""

    outputs_model = CloneOutputs

    directory: str | None = dynamic(None)
    branch: str | None = dynamic(None)
    depth: int | str | None = dynamic(1)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        directory = self.text(ctx, self.directory)
        target = ctx.working_dir / safe_relative_path(directory) if directory else ctx.working_dir
        branch = self.text(ctx, self.branch)
        depth_text = self.text(ctx, self.depth)
        depth = int(depth_text) if depth_text else None
        with self.git(ctx) as git:
            if not self.clone(ctx, git, target, branch=branch, depth=depth):
                raise TaskFailure(f"branch `{branch}` does not exist in the repository")
        ctx.logger.info(f"Cloned into {target}")
        return {"directory": str(target)}
