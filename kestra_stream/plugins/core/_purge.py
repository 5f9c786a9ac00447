"""What the purge tasks share: which namespaces a purge covers, and its date bounds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.workdir import glob_regex
from kestra_stream.storage import Storage, storage_path

_MARKERS = ("/_files/", "/_kv/")


def parse_before(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise TaskFailure(f"Invalid date `{text}`: {error}") from error
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def stored_namespaces(storage: Storage, under: str | None = None) -> set[str]:
    """Namespaces holding namespace files or KV entries in storage (``under`` and its children)."""
    prefix = "kestra:///" + under.replace(".", "/") if under else "kestra:///"
    found: set[str] = set()
    for info in storage.list(prefix):
        path = storage_path(info.uri)
        for marker in _MARKERS:
            position = path.find(marker)
            if position > 0:
                found.add(path[1:position].replace("/", "."))
                break
    return found


def matching_namespaces(
    ctx: RunContext,
    storage: Storage,
    *,
    namespaces: list[str] | None,
    pattern: str | None,
    include_children: bool,
) -> list[str]:
    """``namespaces`` (with their children when ``include_children``), or those matching ``pattern``
    (a glob on the dotted name), or every namespace found in storage."""
    if namespaces is not None and pattern is not None:
        raise TaskFailure("Use either `namespaces` or `namespacePattern`, not both")
    if namespaces is not None:
        wanted = [as_text(name).strip() for name in ctx.render(namespaces)]
        selected: set[str] = set(wanted)
        if include_children:
            for name in wanted:
                selected |= stored_namespaces(storage, name)
        return sorted(selected)
    every = stored_namespaces(storage)
    if pattern is None:
        return sorted(every)
    matcher: re.Pattern[str] = glob_regex(as_text(ctx.render(pattern)).strip())
    return sorted(name for name in every if matcher.match(name))
