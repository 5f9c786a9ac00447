"""``io.kestra.plugin.git.SyncFlows`` (git → Kestra) and ``PushFlows`` (Kestra → git)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kestra_stream.flows import Flow, FlowValidationError
from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import flow_namespace
from kestra_stream.runtime.workdir import glob_regex
from kestra_stream.webserver import flow_store
from kestra_stream.webserver.followers import StoredFlow
from kestra_stream_plugins.git._base import GitTask
from kestra_stream_plugins.git._diff import store_diff
from kestra_stream_plugins.git._flow_store import WorkerFlowStore
from kestra_stream_plugins.git._outputs import PushFlowsOutputs, SyncFlowsOutputs
from kestra_stream_plugins.git._push import PushTask

_NAMESPACE_LINE = re.compile(r"(?m)^namespace: (.*)$")
_FLOW_SUFFIXES = (".yml", ".yaml")


def _in_scope(namespace: str, root: str, children: bool) -> bool:
    return namespace == root or (children and namespace.startswith(root + "."))


def _current_flow(ctx: RunContext) -> tuple[str, str]:
    flow = ctx.variables.get("flow")
    return (str(flow.get("namespace")), str(flow.get("id"))) if isinstance(flow, Mapping) else ("", "")


class SyncFlows(GitTask):
    """Sync flows from a git branch (`url`, `branch`, `gitDirectory` default `_flows`) to
    `targetNamespace` (each flow's `namespace:` line is set to it; with `includeChildNamespaces`,
    sub-directories go to child namespaces). Flows are created and updated through the API's code path
    (same validation, new revision only when the source changed); `delete: true` removes the
    namespace's flows absent from git (never the flow running this task). `dryRun` only reports.
    Output `flows`: an ION file with one `{gitPath, syncState, flowId, namespace, revision}` row each."""

    outputs_model = SyncFlowsOutputs

    branch: str | None = dynamic("main")
    target_namespace: str = dynamic()
    git_directory: str | None = dynamic("_flows")
    include_child_namespaces: bool | str = dynamic(False)
    delete: bool | str = dynamic(False)
    dry_run: bool | str = dynamic(False)
    ignore_invalid_flows: bool | str = dynamic(False)

    def _sources(self, root: Path, namespace: str, children: bool) -> list[tuple[str, str]]:
        """``(git path relative to gitDirectory, source with its namespace replaced)`` per flow file."""
        files = sorted(root.rglob("*") if children else root.glob("*"))
        sources = []
        for path in files:
            if not path.is_file() or path.suffix not in _FLOW_SUFFIXES or ".git" in path.parts:
                continue
            relative = path.relative_to(root)
            target = ".".join([namespace, *relative.parent.parts])
            text = _NAMESPACE_LINE.sub(f"namespace: {target}", path.read_text(), count=1)
            sources.append((relative.as_posix(), text.rstrip() + "\n"))
        return sources

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        namespace = as_text(ctx.render(self.target_namespace)).strip()
        git_directory = (self.text(ctx, self.git_directory) or "").strip("/")
        branch = self.text(ctx, self.branch) or "main"
        children = self.flag(ctx, self.include_child_namespaces, False)
        delete = self.flag(ctx, self.delete, False)
        dry_run = self.flag(ctx, self.dry_run, False)
        ignore_invalid = self.flag(ctx, self.ignore_invalid_flows, False)
        checkout = self.checkout_dir(ctx)
        with self.git(ctx) as git:
            if not self.clone(ctx, git, checkout, branch=branch):
                raise TaskFailure(f"branch `{branch}` does not exist in the repository")
        root = checkout / git_directory if git_directory else checkout
        if not root.is_dir():
            raise TaskFailure(f"gitDirectory `{git_directory}` does not exist on branch `{branch}`")
        rows: list[dict[str, Any]] = []
        with WorkerFlowStore(self.plugin_type) as store:
            parsed: list[tuple[str, str, Flow]] = []
            errors = []
            for git_path, source in self._sources(root, namespace, children):
                try:
                    parsed.append((git_path, source, flow_store.parse_source(store, source)))
                except FlowValidationError as error:
                    errors.append(f"{git_directory}/{git_path}: {error}")
            if errors:
                raise TaskFailure("invalid flows in git, nothing synced: " + " | ".join(errors))
            for git_path, source, flow in parsed:
                before = store.flows.get(flow.namespace, flow.id)
                if dry_run:
                    unchanged = before is not None and before.source.source == source
                    revision = (before.revision if unchanged else before.revision + 1) if before else 1
                else:
                    after = store.call(flow_store.save(store, source, flow))
                    unchanged = before is not None and after.revision == before.revision
                    revision = after.revision
                state = "ADDED" if before is None else ("UNCHANGED" if unchanged else "UPDATED")
                rows.append(
                    {
                        "gitPath": f"{git_directory}/{git_path}" if git_directory else git_path,
                        "syncState": state,
                        "flowId": flow.id,
                        "namespace": flow.namespace,
                        "revision": revision,
                    }
                )
            if delete:
                rows += self._delete_missing(ctx, store, parsed, namespace, children, dry_run, ignore_invalid)
        for row in rows:
            ctx.logger.info(
                f"{row['syncState']}: {row['namespace']}.{row['flowId']} (revision {row['revision']})"
            )
        return {"flows": store_diff(ctx, "flows", rows)}

    def _delete_missing(
        self,
        ctx: RunContext,
        store: WorkerFlowStore,
        parsed: list[tuple[str, str, Flow]],
        namespace: str,
        children: bool,
        dry_run: bool,
        ignore_invalid: bool,
    ) -> list[dict[str, Any]]:
        kept = {(flow.namespace, flow.id) for _, _, flow in parsed}
        current = _current_flow(ctx)
        rows = []
        for stored in sorted(store.flows.all(), key=lambda s: (s.source.namespace, s.source.id)):
            key = (stored.source.namespace, stored.source.id)
            if not _in_scope(key[0], namespace, children) or key in kept or key == current:
                continue
            if ignore_invalid and store.flows.parsed(stored) is None:
                ctx.logger.warn(f"Flow {key[1]} is not valid: left as it is")
                continue
            if not dry_run:
                store.call(flow_store.delete(store, *key))
            rows.append(
                {"syncState": "DELETED", "flowId": key[1], "namespace": key[0], "revision": stored.revision}
            )
        return rows


class PushFlows(PushTask):
    """Push flows of `sourceNamespace` (default: this flow's; with `includeChildNamespaces`, its
    children into sub-directories) to `gitDirectory` (default `_flows`) of `branch` (created when
    missing), one `<flowId>.yml` per flow; `flows` selects them by id (globs, default all). With
    `delete` (default true) flow files no longer in Kestra are removed. One commit (`commitMessage`,
    `authorName`, `authorEmail`) pushed to `url`; a rejected push fails the task with git's message.
    `dryRun` reports the diff without committing. Outputs: `commitId`, `commitURL`, `flows` (diff)."""

    outputs_model = PushFlowsOutputs

    source_namespace: str | None = dynamic(None)
    git_directory: str | None = dynamic("_flows")
    flows: str | list[str] | None = dynamic(None)
    include_child_namespaces: bool | str = dynamic(False)

    def default_message(self, ctx: RunContext, namespace: str) -> str:
        return f"Add flows from {namespace} namespace"

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        namespace = self.text(ctx, self.source_namespace) or flow_namespace(ctx)
        children = self.flag(ctx, self.include_child_namespaces, False)
        patterns = [glob_regex(as_text(p)) for p in as_list(ctx.render(self.flows))] or [re.compile(".*")]
        with WorkerFlowStore(self.plugin_type) as store:
            selected: list[StoredFlow] = [
                stored
                for stored in store.flows.all()
                if _in_scope(stored.source.namespace, namespace, children)
                and any(pattern.fullmatch(stored.source.id) for pattern in patterns)
            ]
        files = {}
        for stored in selected:
            relative = stored.source.namespace[len(namespace) :].lstrip(".").replace(".", "/")
            files[f"{relative}/{stored.source.id}.yml".lstrip("/")] = stored.source.source

        def managed(relative: str) -> bool:
            path = Path(relative)
            in_scope = children or len(path.parts) == 1
            return in_scope and any(pattern.fullmatch(path.stem) for pattern in patterns)

        return self.push(ctx, namespace, files, suffixes=_FLOW_SUFFIXES, output="flows", managed=managed)
