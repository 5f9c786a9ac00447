"""``io.kestra.plugin.git.SyncNamespaceFiles`` (git → namespace files) and ``PushNamespaceFiles``.

Namespace files are read and written where the API and the editor keep them (``/{ns}/_files/``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_text
from kestra_stream.plugins.core.namespace import namespace_listing
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import flow_namespace, storage_services
from kestra_stream.runtime.workdir import glob_regex
from kestra_stream.storage import namespace_file, read_bytes
from kestra_stream_plugins.git._base import GitTask
from kestra_stream_plugins.git._diff import store_diff
from kestra_stream_plugins.git._outputs import PushNamespaceFilesOutputs, SyncNamespaceFilesOutputs
from kestra_stream_plugins.git._push import PushTask


class SyncNamespaceFiles(GitTask):
    """Sync the files of `gitDirectory` (default `_files`) on `branch` to the namespace files of
    `namespace` (default: this flow's). With `delete: true`, namespace files absent from git are
    removed. `dryRun` only reports. Output `files`: an ION file of `{gitPath, syncState, kestraPath}`."""

    outputs_model = SyncNamespaceFilesOutputs

    branch: str | None = dynamic("main")
    namespace: str | None = dynamic(None)
    git_directory: str | None = dynamic("_files")
    delete: bool | str = dynamic(False)
    dry_run: bool | str = dynamic(False)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        namespace = self.text(ctx, self.namespace) or flow_namespace(ctx)
        git_directory = (self.text(ctx, self.git_directory) or "").strip("/")
        branch = self.text(ctx, self.branch) or "main"
        dry_run = self.flag(ctx, self.dry_run, False)
        services = storage_services(ctx)
        checkout = self.checkout_dir(ctx)
        with self.git(ctx) as git:
            if not self.clone(ctx, git, checkout, branch=branch):
                raise TaskFailure(f"branch `{branch}` does not exist in the repository")
        root = checkout / git_directory if git_directory else checkout
        if not root.is_dir():
            raise TaskFailure(f"gitDirectory `{git_directory}` does not exist on branch `{branch}`")
        existing = set(namespace_listing(services, namespace))
        rows: list[dict[str, Any]] = []
        seen = set()
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if not path.is_file() or ".git" in path.relative_to(checkout).parts:
                continue
            kestra_path = "/" + relative.as_posix()
            seen.add(kestra_path)
            uri = namespace_file(namespace, kestra_path)
            data = path.read_bytes()
            if kestra_path not in existing:
                state = "ADDED"
            else:
                state = "UNCHANGED" if read_bytes(services.storage, "kestra://" + uri) == data else "UPDATED"
            if state != "UNCHANGED" and not dry_run:
                services.storage.put(uri, data)
            git_path = f"{git_directory}/{relative.as_posix()}" if git_directory else relative.as_posix()
            rows.append({"gitPath": git_path, "syncState": state, "kestraPath": kestra_path})
        if self.flag(ctx, self.delete, False):
            for kestra_path in sorted(existing - seen):
                if not dry_run:
                    services.storage.delete(namespace_file(namespace, kestra_path))
                rows.append({"syncState": "DELETED", "kestraPath": kestra_path})
        for row in rows:
            ctx.logger.info(f"{row['syncState']}: {row['kestraPath']}")
        return {"files": store_diff(ctx, "files", rows)}


class PushNamespaceFiles(PushTask):
    """Push the namespace files of `namespace` (default: this flow's) selected by `files` (globs,
    default all) to `gitDirectory` (default `_files`) of `branch`, in one commit; with `delete`
    (default true) files no longer in the namespace are removed from git. A rejected push fails the
    task with git's message. Outputs: `commitId`, `commitURL`, `files` (diff)."""

    outputs_model = PushNamespaceFilesOutputs

    namespace: str | None = dynamic(None)
    git_directory: str | None = dynamic("_files")
    files: str | list[str] | None = dynamic(None)

    def default_message(self, ctx: RunContext, namespace: str) -> str:
        return f"Add files from {namespace} namespace"

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        namespace = self.text(ctx, self.namespace) or flow_namespace(ctx)
        services = storage_services(ctx)
        patterns = [glob_regex("/" + as_text(p).lstrip("/")) for p in as_list(ctx.render(self.files))]
        patterns = patterns or [re.compile(".*")]
        contents = {
            path.lstrip("/"): read_bytes(services.storage, "kestra://" + namespace_file(namespace, path))
            for path in namespace_listing(services, namespace)
            if any(pattern.fullmatch(path) for pattern in patterns)
        }

        def managed(relative: str) -> bool:
            return any(pattern.fullmatch("/" + relative) for pattern in patterns)

        return self.push(ctx, namespace, contents, output="files", managed=managed)
