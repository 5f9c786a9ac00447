"""``namespace.UploadFiles`` / ``DownloadFiles`` / ``DeleteFiles`` / ``PurgeFiles``: namespace files from
tasks (stored under ``/{ns}/_files/``, the same place the API and the editor use).

Paths are namespace-relative with a leading ``/``; ``files`` patterns are globs on those paths (``*``
stays in one folder, ``**`` crosses folders), as Kestra's ``glob:`` path matchers.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

import orjson
from pydantic import Field

from kestra_stream.models.document import KestraModel
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._purge import matching_namespaces, parse_before
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import StorageAware, flow_namespace, storage_services
from kestra_stream.runtime.workdir import FILE_URI_SCHEMES, glob_regex
from kestra_stream.storage import (
    InvalidStorageUriError,
    StorageFileNotFoundError,
    namespace_file,
    namespace_files_prefix,
    storage_path,
)

DIRECTORY_MARKER = ".kestradir"


def _namespace(ctx: RunContext, namespace: str | None) -> str:
    return as_text(ctx.render(namespace)).strip() if namespace else flow_namespace(ctx)


def _patterns(ctx: RunContext, files: str | list[str]) -> list[str]:
    rendered = ctx.render(files)
    if isinstance(rendered, str):
        text = rendered.strip()
        if text.startswith("["):
            try:
                rendered = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                raise TaskFailure(f"`files` is not a valid JSON array: {error}") from error
        else:
            rendered = [text]
    if not isinstance(rendered, list):
        raise TaskFailure("The files property must be a string or a list of strings")
    return [as_text(item) for item in rendered]


def namespace_listing(services: StorageAware, namespace: str) -> Iterator[str]:
    """Every namespace file as ``/relative/path`` (folder markers left out)."""
    for relative in services.namespace_files(namespace):
        if posixpath.basename(relative) != DIRECTORY_MARKER:
            yield "/" + relative


def _matcher(pattern: str) -> re.Pattern[str]:
    """``regex:...`` as is; a glob (``glob:`` prefix optional) anchored at the namespace root."""
    if pattern.startswith("regex:"):
        return re.compile(pattern[len("regex:") :])
    return glob_regex("/" + pattern.removeprefix("glob:").lstrip("/"))


def _matching(paths: Iterator[str], patterns: list[str]) -> list[str]:
    matchers = [_matcher(pattern) for pattern in patterns]
    return [path for path in paths if any(matcher.match(path) for matcher in matchers)]


def _target(namespace: str, path: str) -> str:
    try:
        return "kestra://" + namespace_file(namespace, path)
    except (InvalidStorageUriError, ValueError) as error:
        raise TaskFailure(f"Invalid namespace file path `{path}`: {error}") from error


class Conflict(StrEnum):
    OVERWRITE = "OVERWRITE"
    ERROR = "ERROR"
    SKIP = "SKIP"


@plugin("io.kestra.plugin.core.namespace.UploadFiles")
class UploadFiles(RunnableTask):
    namespace: str = dynamic()
    files: list[str] | str | None = dynamic(None)
    """Internal-storage URIs, or globs of files of the working directory; stored under ``destination``."""
    files_map: dict[str, str] | str | None = dynamic(None)
    """Namespace path → internal-storage URI (renames and moves)."""
    destination: str = dynamic("/")
    conflict: Conflict = Conflict.OVERWRITE

    def _put(self, ctx: RunContext, namespace: str, path: str, source: str) -> None:
        storage = storage_services(ctx).storage
        target = _target(namespace, path)
        if storage.exists(target):
            if self.conflict is Conflict.SKIP:
                return
            if self.conflict is Conflict.ERROR:
                raise TaskFailure(
                    f"File '{path}' already exists in namespace '{namespace}' and conflict is set to ERROR"
                )
        local = ctx.working_dir / ".upload"
        try:
            ctx.get_file(source, local)
        except StorageFileNotFoundError:
            return  # Kestra ignores a missing source
        except (InvalidStorageUriError, PermissionError) as error:
            raise TaskFailure(str(error)) from error
        with local.open("rb") as stream:
            storage.put(target, stream)
        local.unlink()

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        if self.files is None and self.files_map is None:
            raise TaskFailure("UploadFiles needs `files` or `filesMap`")
        namespace = _namespace(ctx, self.namespace)
        destination = "/" + as_text(ctx.render(self.destination)).strip().strip("/")
        if self.files is not None:
            globs: list[str] = []
            for item in _patterns(ctx, self.files):
                if item.startswith(FILE_URI_SCHEMES):
                    self._put(ctx, namespace, posixpath.join(destination, item.rsplit("/", 1)[-1]), item)
                else:
                    globs.append(item)
            if globs:
                root = ctx.working_dir
                local = (str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
                for relative in _matching(("/" + path for path in local), globs):
                    self._put(
                        ctx,
                        namespace,
                        posixpath.join(destination, relative.lstrip("/")),
                        f"file://{root}{relative}",
                    )
        if self.files_map is not None:
            mapping = ctx.render(self.files_map)
            if isinstance(mapping, str):
                mapping = orjson.loads(mapping)
            if not isinstance(mapping, Mapping):
                raise TaskFailure("filesMap must be a map of namespace path to file URI")
            for path, source in mapping.items():
                self._put(ctx, namespace, as_text(path), as_text(source))
        return {}


@plugin("io.kestra.plugin.core.namespace.DownloadFiles")
class DownloadFiles(RunnableTask):
    namespace: str = dynamic()
    files: list[str] | str = dynamic()
    destination: str = dynamic("")
    """A folder of the task run's files under which the downloaded paths are kept."""

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        services = storage_services(ctx)
        namespace = _namespace(ctx, self.namespace)
        destination = as_text(ctx.render(self.destination)).strip().strip("/")
        downloaded: dict[str, str] = {}
        for path in _matching(namespace_listing(services, namespace), _patterns(ctx, self.files)):
            local = ctx.working_dir / ".download"
            with services.storage.get(_target(namespace, path)) as source, local.open("wb") as sink:
                while chunk := source.read(1024 * 1024):
                    sink.write(chunk)
            name = posixpath.join(destination, path.lstrip("/")) if destination else path.lstrip("/")
            downloaded[path] = ctx.put_file(local, name)
            local.unlink()
            ctx.logger.debug(f"Downloaded {path}")
        ctx.metric("downloaded", "counter", len(downloaded))
        return {"files": downloaded}


@plugin("io.kestra.plugin.core.namespace.DeleteFiles")
class DeleteFiles(RunnableTask):
    namespace: str = dynamic()
    files: list[str] | str = dynamic()
    delete_parent_folder: bool = False
    """Also remove the folders left empty by the deletion."""

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        services = storage_services(ctx)
        namespace = _namespace(ctx, self.namespace)
        deleted = _matching(namespace_listing(services, namespace), _patterns(ctx, self.files))
        for path in deleted:
            services.storage.delete(_target(namespace, path))
            ctx.logger.debug(f"Deleted {path}")
        if self.delete_parent_folder:
            remaining = set(namespace_listing(services, namespace))
            folders = {posixpath.dirname(path) for path in deleted} - {"/"}
            for folder in sorted(folders, key=len, reverse=True):
                if not any(path.startswith(folder + "/") for path in remaining):
                    services.storage.delete(_target(namespace, f"{folder}/{DIRECTORY_MARKER}"))
        ctx.metric("deleted", "counter", len(deleted))
        return {}


class VersionBehavior(KestraModel):
    """``behavior: {type: version, keepAmount | before}``: namespace files keep one version here."""

    type: str = Field(pattern="^version$")
    keep_amount: int | None = Field(None, ge=0)
    before: str | None = None


@plugin("io.kestra.plugin.core.namespace.PurgeFiles")
class PurgeFiles(RunnableTask):
    """Purge namespace files. kestra-stream keeps no older versions of a namespace file, so a purge
    removes a file only when its one (current) version is selected: ``keepAmount: 0``, or ``before``
    a date later than the file's last change."""

    file_pattern: str | None = dynamic(None)
    namespaces: list[str] | None = dynamic(None)
    namespace_pattern: str | None = dynamic(None)
    behavior: VersionBehavior | None = None
    include_child_namespaces: bool = True

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        services = storage_services(ctx)
        behavior = self.behavior or VersionBehavior(type="version", keep_amount=1)
        before = parse_before(as_text(ctx.render(behavior.before))) if behavior.before else None
        pattern = (
            glob_regex(as_text(ctx.render(self.file_pattern)).lstrip("/")) if self.file_pattern else None
        )
        namespaces = matching_namespaces(
            ctx,
            services.storage,
            namespaces=self.namespaces,
            pattern=self.namespace_pattern,
            include_children=self.include_child_namespaces,
        )
        ctx.logger.info(f"purging {len(namespaces)} namespaces: {namespaces}")
        purged = 0
        for namespace in namespaces:
            base = storage_path(namespace_files_prefix(namespace))
            for info in services.storage.list("kestra://" + base):
                relative = storage_path(info.uri)[len(base) + 1 :]
                if posixpath.basename(relative) == DIRECTORY_MARKER:
                    continue
                if pattern is not None and not pattern.match(relative):
                    continue
                if before is not None:
                    selected = info.updated is not None and info.updated < before
                else:
                    selected = behavior.keep_amount == 0
                if selected:
                    services.storage.delete(info.uri)
                    purged += 1
        ctx.logger.info(f"purged {purged} files")
        return {"size": purged}
