"""``storage.Concat``: several files into one, with an optional separator after each one."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_text
from kestra_stream.plugins.core.storage._common import extension, fetch, temp_file
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure


@plugin("io.kestra.plugin.core.storage.Concat", "io.kestra.core.tasks.storages.Concat")
class Concat(RunnableTask):
    files: list[str] | str = dynamic()
    separator: str | None = dynamic(None)
    extension: str = dynamic(".tmp")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        try:
            files = as_list(ctx.render(self.files))
        except ValueError as error:
            raise TaskFailure(f"`files` must be a list or a JSON array: {error}") from error
        separator = as_text(ctx.render(self.separator)).encode() if self.separator else b""
        target = temp_file(ctx, extension(as_text(ctx.render(self.extension)), ".tmp"))
        with target.open("wb") as out:
            for uri in files:
                part = fetch(ctx, uri, temp_file(ctx, ".part"))
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out)
                part.unlink()
                # Kestra 1.3.31 writes the separator after every file, the last one too (compat 44).
                out.write(separator)
        return {"uri": ctx.put_file(target)}
