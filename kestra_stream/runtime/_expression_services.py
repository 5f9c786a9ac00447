"""The ``ExpressionServices`` of one task run attempt: ``kv``, ``read``, ``fileURI``, file metadata,
``errorLogs`` and ``tasksWithState`` backed by the attempt's KV store, storage and variables."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.services import ERROR_LOGS_VARIABLE, ExpressionServices, ServicesResolver
from kestra_stream.plugins.context import KVStore
from kestra_stream.runtime.sinks import TaskRunIdentity
from kestra_stream.storage import (
    Storage,
    execution_prefix,
    namespace_file,
    read_bytes,
    storage_path,
    storage_uri,
)


class _Target:
    """A resolved file: a storage path or an allowed local file."""

    __slots__ = ("local", "storage")

    def __init__(self, *, storage: str | None = None, local: Path | None = None) -> None:
        self.storage = storage
        self.local = local


class AttemptFiles:
    """Files an expression may reach: the current execution's (or its trigger's) ``kestra://`` files,
    namespace files (``nsfile://``, bare paths) and allowed ``file://`` paths."""

    def __init__(
        self,
        *,
        identity: TaskRunIdentity,
        variables: Mapping[str, Any],
        storage: Storage,
        allowed_local_paths: Sequence[Path],
    ) -> None:
        self._identity = identity
        self._storage = storage
        self._allowed_local_paths = tuple(allowed_local_paths)
        self._prefixes = (
            [
                execution_prefix(
                    namespace=identity.namespace, flow_id=identity.flow_id, execution_id=identity.execution_id
                )
                + "/"
            ]
            if identity.execution_id  # none before an execution exists (inputs, triggers)
            else []
        )
        trigger = variables.get("trigger")
        if isinstance(trigger, Mapping):  # a subflow or flow trigger: the parent execution's files
            parent = (trigger.get("namespace"), trigger.get("flowId"), trigger.get("executionId"))
            if all(isinstance(part, str) and part for part in parent):
                namespace, flow_id, execution_id = (str(part) for part in parent)
                with contextlib.suppress(ValueError):
                    self._prefixes.append(
                        execution_prefix(namespace=namespace, flow_id=flow_id, execution_id=execution_id)
                        + "/"
                    )

    def _resolve(self, path: str, namespace: str | None) -> _Target:
        parts = urlsplit(path)
        if parts.scheme == "kestra":
            resolved = storage_path(path)
            if not any(resolved.startswith(prefix) for prefix in self._prefixes):
                raise ExpressionError(
                    f"Unable to read the file '{path}' as it didn't belong to the current execution"
                )
            return _Target(storage=resolved)
        if parts.scheme == "nsfile":
            # nsfile:///path is the current namespace; nsfile://other.ns/path another one.
            return _Target(
                storage=namespace_file(
                    parts.netloc or namespace or self._identity.namespace, unquote(parts.path)
                )
            )
        if parts.scheme == "file":
            source = Path(unquote(parts.path)).resolve()
            if not any(source == root or root in source.parents for root in self._allowed_local_paths):
                raise ExpressionError(
                    f"The file `{source}` is not authorized (kestra.local-files.allowed-paths)"
                )
            return _Target(local=source)
        if parts.scheme:
            raise ExpressionError(f"Unsupported file URI scheme in `{path}` (kestra://, nsfile://, file://)")
        return _Target(storage=namespace_file(namespace or self._identity.namespace, path))

    def read(self, path: str, namespace: str | None) -> str:
        target = self._resolve(path, namespace)
        if target.local is not None:
            return target.local.read_text(encoding="utf-8")
        assert target.storage is not None
        return read_bytes(self._storage, target.storage).decode("utf-8")

    def file_uri(self, path: str, namespace: str | None) -> str:
        return storage_uri(namespace_file(namespace or self._identity.namespace, path))

    def size(self, path: str) -> int:
        target = self._resolve(path, None)
        if target.local is not None:
            return target.local.stat().st_size
        assert target.storage is not None
        return self._storage.size(target.storage)

    def exists(self, path: str) -> bool:
        target = self._resolve(path, None)
        if target.local is not None:
            return target.local.is_file()
        assert target.storage is not None
        return self._storage.exists(target.storage)

    def is_empty(self, path: str) -> bool:
        return self.size(path) == 0


def tasks_with_state(variables: Mapping[str, Any], state: str) -> list[Mapping[str, Any]]:
    """Kestra's ``tasksWithState``: ``{taskId, state}`` (plus ``value`` for loop iterations) per task
    run in ``state``, walked from the ``tasks`` variable (``tasks.<id>[.<value>…].state``)."""
    tasks = variables.get("tasks")
    found: list[Mapping[str, Any]] = []
    if not isinstance(tasks, Mapping):
        return found
    wanted = state.upper()

    def walk(task_id: str, node: Mapping[str, Any], values: list[str]) -> None:
        current = node.get("state")
        if isinstance(current, str) and current.upper() == wanted:
            entry: dict[str, Any] = {"taskId": task_id, "state": current}
            if values:
                entry["value"] = values[-1] if len(values) == 1 else list(values)
            found.append(entry)
        for key, child in node.items():
            if key != "state" and isinstance(child, Mapping):
                walk(task_id, child, [*values, str(key)])

    for task_id, node in tasks.items():
        if isinstance(node, Mapping):
            walk(str(task_id), node, [])
    return found


def error_logs(identity: TaskRunIdentity, variables: Mapping[str, Any]) -> list[Any]:
    """``errorLogs()``: the error messages the executor passed along, shaped like Kestra's log entries."""
    entries = variables.get(ERROR_LOGS_VARIABLE)
    if not isinstance(entries, list):
        return []
    logs: list[Any] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        logs.append(
            {
                "namespace": identity.namespace,
                "flowId": identity.flow_id,
                "executionId": identity.execution_id,
                "taskId": entry.get("taskId"),
                "taskRunId": entry.get("taskRunId"),
                "attemptNumber": entry.get("attemptNumber"),
                "timestamp": entry.get("timestamp"),
                "level": "ERROR",
                "thread": entry.get("thread"),
                "message": entry.get("message"),
            }
        )
    return logs


def attempt_services(
    base: ExpressionServices,
    *,
    identity: TaskRunIdentity,
    variables: Mapping[str, Any],
    storage: Storage,
    kv: KVStore,
    allowed_local_paths: Sequence[Path],
) -> ExpressionServices:
    """``base`` (the engine's services: secrets…) plus the attempt-bound ones."""
    files = AttemptFiles(
        identity=identity, variables=variables, storage=storage, allowed_local_paths=allowed_local_paths
    )
    return dataclasses.replace(
        base,
        kv=kv,
        read=files.read,
        file_uri=files.file_uri,
        file_size=files.size,
        file_exists=files.exists,
        is_file_empty=files.is_empty,
        error_logs=lambda: error_logs(identity, variables),
        tasks_with_state=lambda state: tasks_with_state(variables, state),
    )


def _text(variables: Mapping[str, Any], scope: str, key: str) -> str:
    section = variables.get(scope)
    value = section.get(key) if isinstance(section, Mapping) else None
    return value if isinstance(value, str) else ""


def rendering_services(
    base: ExpressionServices,
    *,
    storage: Storage,
    kv: KVStore,
    allowed_local_paths: Sequence[Path] = (),
) -> ServicesResolver:
    """The services of a render outside a worker (the executor's If/Switch/runIf/flow outputs, the
    webserver's and the scheduler's renderings), bound to the ``flow``/``execution``/``task``/
    ``taskrun`` of each render's variables like :func:`attempt_services` binds them to an attempt."""
    allowed = tuple(path.resolve() for path in allowed_local_paths)

    def resolve(variables: Mapping[str, Any]) -> ExpressionServices:
        identity = TaskRunIdentity(
            namespace=_text(variables, "flow", "namespace"),
            flow_id=_text(variables, "flow", "id"),
            execution_id=_text(variables, "execution", "id"),
            task_id=_text(variables, "task", "id"),
            task_run_id=_text(variables, "taskrun", "id"),
            tenant_id=_text(variables, "flow", "tenantId") or "main",
        )
        return attempt_services(
            base, identity=identity, variables=variables, storage=storage, kv=kv, allowed_local_paths=allowed
        )

    return resolve


def rendering_engine(*, storage: Storage, allowed_local_paths: Sequence[Path] = ()) -> ExpressionEngine:
    """An engine for a process rendering for many executions, its services bound to each render."""
    from kestra_stream.kv import StorageKVStore

    return ExpressionEngine(
        services_for=rendering_services(
            ExpressionServices(),
            storage=storage,
            kv=StorageKVStore(storage=storage),
            allowed_local_paths=allowed_local_paths,
        )
    )
