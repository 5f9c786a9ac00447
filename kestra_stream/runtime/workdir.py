"""Moving files between a working directory and internal storage (``inputFiles``/``outputFiles``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.storage import InvalidStorageUriError, safe_relative_path

FILE_URI_SCHEMES = ("kestra://", "nsfile://", "file://")


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob over ``/``-separated relative paths: ``*``/``?`` stay in one segment, ``**`` crosses."""
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("^" + "".join(out) + "$")


def path_matcher(pattern: str) -> re.Pattern[str]:
    """Kestra's include/exclude patterns: ``regex:``/``glob:`` explicit; no leading ``/`` means any depth."""
    if pattern.startswith("regex:"):
        return re.compile(pattern[len("regex:") :])
    if pattern.startswith("glob:"):
        pattern = pattern[len("glob:") :]
    elif not pattern.startswith("/"):
        pattern = "**/" + pattern
    return glob_regex(pattern.lstrip("/"))


def select_paths(paths: Iterable[str], include: list[str] | None, exclude: list[str] | None) -> list[str]:
    includes = [path_matcher(pattern) for pattern in include or []]
    excludes = [path_matcher(pattern) for pattern in exclude or []]
    return [
        path
        for path in paths
        if (not includes or any(matcher.match(path) for matcher in includes))
        and not any(matcher.match(path) for matcher in excludes)
    ]


def local_target(directory: Path, name: str) -> Path:
    try:
        relative = safe_relative_path(name)
    except InvalidStorageUriError as error:
        raise TaskFailure(f"invalid file name `{name}`: {error}") from error
    return directory / relative


def write_input_files(ctx: RunContext, directory: Path, files: Mapping[str, Any]) -> list[Path]:
    """Write ``name → content`` (inline text, or a ``kestra://``/``nsfile://``/``file://`` URI)."""
    written = []
    for name, content in files.items():
        target = local_target(directory, str(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str) and content.startswith(FILE_URI_SCHEMES):
            ctx.get_file(content.strip(), target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text("" if content is None else str(content))
        written.append(target)
    return written


def collect_output_files(ctx: RunContext, directory: Path, patterns: Iterable[str]) -> dict[str, str]:
    """Upload files matching the globs (relative to ``directory``); ``relative path → kestra:// URI``."""
    matchers = [glob_regex(pattern[2:] if pattern.startswith("./") else pattern) for pattern in patterns]
    if not matchers:
        return {}
    uploaded: dict[str, str] = {}
    for file in sorted(directory.rglob("*")):
        if not file.is_file():
            continue
        relative = file.relative_to(directory).as_posix()
        if any(matcher.match(relative) for matcher in matchers):
            uploaded[relative] = ctx.put_file(file, relative)
    return uploaded
