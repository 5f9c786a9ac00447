"""``storage.Size``: the size in bytes of an internal storage file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import storage_services
from kestra_stream.storage import InvalidStorageUriError, StorageFileNotFoundError


@plugin("io.kestra.plugin.core.storage.Size", "io.kestra.core.tasks.storages.Size")
class Size(RunnableTask):
    uri: str = dynamic()

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        uri = as_text(ctx.render(self.uri)).strip()
        try:
            return {"size": storage_services(ctx).storage.size(uri)}
        except StorageFileNotFoundError as error:
            raise TaskFailure(f"file not found: {uri}") from error
        except InvalidStorageUriError as error:
            raise TaskFailure(str(error)) from error
