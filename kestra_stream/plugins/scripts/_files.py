"""Preparing the working directory: namespace files, input files, ``kestra://`` URI substitution."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from kestra_stream.plugins.base import KestraModel
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import storage_services
from kestra_stream.runtime.workdir import local_target, select_paths

_STORAGE_URI = re.compile(r"kestra:///[^\s'\"`<>(){}\[\]|;,]+")


class NamespaceFiles(KestraModel):
    enabled: bool = True
    include: list[str] | None = None
    exclude: list[str] | None = None
    namespaces: list[str] | None = None
    if_exists: str = "OVERWRITE"
    folder_per_namespace: bool = False


def load_namespace_files(ctx: RunContext, spec: NamespaceFiles, directory: Path, current: str) -> list[Path]:
    services = storage_services(ctx)
    written: list[Path] = []
    for namespace in spec.namespaces or [current]:
        for path in select_paths(services.namespace_files(namespace), spec.include, spec.exclude):
            name = f"{namespace}/{path}" if spec.folder_per_namespace else path
            target = local_target(directory, name)
            if target.exists():
                if spec.if_exists == "FAIL":
                    raise TaskFailure(f"namespace file `{name}` already exists in the working directory")
                if spec.if_exists == "WARN":
                    ctx.logger.warn(f"namespace file `{name}` overwrites an existing file")
                elif spec.if_exists == "IGNORE":
                    continue
            ctx.get_file(f"nsfile://{namespace}/{path}", target)
            written.append(target)
    return written


def substitute_storage_uris(ctx: RunContext, text: str, directory: Path) -> str:
    """Download every ``kestra:///…`` URI in ``text`` into ``directory``; replace it by the local path."""
    local: dict[str, str] = {}
    for uri in dict.fromkeys(_STORAGE_URI.findall(text)):
        name = unquote(uri.rsplit("/", 1)[-1]) or "file"
        target = directory / name
        index = 1
        while target.exists():
            target = directory / f"{index}-{name}"
            index += 1
        ctx.get_file(uri, target)
        local[uri] = str(target)
    if not local:
        return text
    return _STORAGE_URI.sub(lambda match: local.get(match.group(0), match.group(0)), text)
