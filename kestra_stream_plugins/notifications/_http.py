"""POSTing a notification to a webhook; errors name the host, never the URL (its path is the secret)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field

from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import parse_duration
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure

DEFAULT_TIMEOUT_SECONDS = 10.0


class HttpOptions(KestraModel):
    """Kestra's ``options`` of the HTTP notification tasks (the ones that apply to one POST)."""

    connect_timeout: str | None = None
    read_timeout: str | None = None
    headers: dict[str, Any] | None = None
    default_charset: str | None = Field(None, description="accepted for compatibility; bodies are UTF-8")

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "defaultCharset": "notification bodies are always sent as UTF-8",
    }

    def timeout(self, ctx: RunContext) -> float:
        values = [
            parse_duration(str(ctx.render(value))).total_seconds()
            for value in (self.connect_timeout, self.read_timeout)
            if value
        ]
        return max(values) if values else DEFAULT_TIMEOUT_SECONDS


def redacted(url: str) -> str:
    """``scheme://host[:port]``: webhook URLs carry their credential in the path or query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}"


def post_json(
    ctx: RunContext, url: str, body: bytes, *, options: HttpOptions | None = None, service: str
) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TaskFailure(f"{service}: the webhook `url` must be an http(s) URL")
    headers = {"Content-Type": "application/json"}
    if options is not None and options.headers:
        headers.update({str(k): str(ctx.render(v)) for k, v in options.headers.items()})
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    timeout = options.timeout(ctx) if options is not None else DEFAULT_TIMEOUT_SECONDS
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as error:
        detail = error.read(500).decode("utf-8", errors="replace").strip()
        raise TaskFailure(
            f"{service}: the webhook at {redacted(url)} answered {error.code} {error.reason}"
            + (f": {detail}" if detail else "")
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        raise TaskFailure(f"{service}: cannot reach the webhook at {redacted(url)}: {reason}") from None
