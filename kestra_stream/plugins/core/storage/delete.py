"""``storage.Delete``: remove one internal storage file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import storage_services
from kestra_stream.storage import InvalidStorageUriError


@plugin("io.kestra.plugin.core.storage.Delete", "io.kestra.core.tasks.storages.Delete")
class Delete(RunnableTask):
    uri: str = dynamic()
    error_on_missing: bool = False

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        uri = as_text(ctx.render(self.uri)).strip()
        try:
            deleted = storage_services(ctx).storage.delete(uri)
        except InvalidStorageUriError as error:
            raise TaskFailure(str(error)) from error
        if not deleted and self.error_on_missing:
            raise TaskFailure(f"Unable to find file '{uri}'")
        return {"uri": uri, "deleted": deleted}
