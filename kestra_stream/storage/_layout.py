"""Where Kestra puts files in internal storage (``StorageContext``): namespace dots become slashes."""

from __future__ import annotations

from kestra_stream.storage._uri import safe_relative_path


def namespace_path(namespace: str) -> str:
    if not namespace or any(part == "" for part in namespace.split(".")):
        raise ValueError(f"invalid namespace: {namespace!r}")
    return "/" + namespace.replace(".", "/")


def execution_prefix(*, namespace: str, flow_id: str, execution_id: str) -> str:
    return f"{namespace_path(namespace)}/{flow_id}/executions/{execution_id}"


def task_run_prefix(
    *, namespace: str, flow_id: str, execution_id: str, task_id: str, task_run_id: str
) -> str:
    execution = execution_prefix(namespace=namespace, flow_id=flow_id, execution_id=execution_id)
    return f"{execution}/tasks/{task_id}/{task_run_id}"


def task_run_file(
    *, namespace: str, flow_id: str, execution_id: str, task_id: str, task_run_id: str, name: str
) -> str:
    prefix = task_run_prefix(
        namespace=namespace,
        flow_id=flow_id,
        execution_id=execution_id,
        task_id=task_id,
        task_run_id=task_run_id,
    )
    return f"{prefix}/{safe_relative_path(name)}"


def input_file(*, namespace: str, flow_id: str, execution_id: str, input_id: str, name: str) -> str:
    execution = execution_prefix(namespace=namespace, flow_id=flow_id, execution_id=execution_id)
    return f"{execution}/inputs/{input_id}/{safe_relative_path(name)}"


def namespace_files_prefix(namespace: str) -> str:
    return f"{namespace_path(namespace)}/_files"


def namespace_file(namespace: str, path: str) -> str:
    return f"{namespace_files_prefix(namespace)}/{safe_relative_path(path.lstrip('/'))}"


def kv_prefix(namespace: str) -> str:
    return f"{namespace_path(namespace)}/_kv"
