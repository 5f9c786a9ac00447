"""``http.Download``: stream a response body into internal storage."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core.http._client import download_to, exchange, prepare, run_sync
from kestra_stream.plugins.core.http._options import HttpRequestTask
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure

_DISPOSITION = re.compile(r"""filename\*?=(?:UTF-8'')?["']?([^"';]+)""", re.IGNORECASE)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _file_name(uri: str, headers: Mapping[str, list[str]]) -> str:
    for disposition in headers.get("content-disposition", []):
        match = _DISPOSITION.search(disposition)
        if match:
            return _SAFE_NAME.sub("_", unquote(match.group(1)).rsplit("/", 1)[-1]).strip("._") or "download"
    name = unquote(urlsplit(uri).path.rsplit("/", 1)[-1])
    return _SAFE_NAME.sub("_", name).strip("._") or "download"


@plugin("io.kestra.plugin.core.http.Download", "io.kestra.plugin.fs.http.Download")
class Download(HttpRequestTask):
    fail_on_empty_response: bool = True

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        request = prepare(self, ctx)
        ctx.logger.debug(f"{request.method} {request.uri}")
        temp = ctx.working_dir / f"download-{uuid.uuid4().hex}"
        code, headers, length = run_sync(exchange(request, download_to(temp)))
        outputs: dict[str, Any] = {"code": code, "headers": headers, "length": length}
        if code >= 400 and not request.allow_failed:
            raise TaskFailure(f"Failed http request with response code '{code}'", outputs=outputs)
        if length == 0 and self.fail_on_empty_response:
            raise TaskFailure(f"No response from server for {request.uri}", outputs=outputs)
        target = temp.with_name(_file_name(request.uri, headers))
        temp.rename(target)
        ctx.metric("response.length", "counter", length)
        outputs["uri"] = ctx.put_file(target)
        return outputs
