"""``storage.Write``: a string to an internal storage file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.core.storage._common import extension, temp_file
from kestra_stream.plugins.registry import plugin


@plugin("io.kestra.plugin.core.storage.Write")
class Write(RunnableTask):
    content: str = dynamic()
    extension: str = dynamic(".tmp")  # Kestra 1.3.31 names the file `.tmp` (tests/compat 44)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        path = temp_file(ctx, extension(as_text(ctx.render(self.extension)), ".tmp"))
        path.write_text(as_text(ctx.render(self.content)))
        return {"uri": ctx.put_file(path)}
