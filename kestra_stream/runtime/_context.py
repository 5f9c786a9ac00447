"""The concrete ``RunContext`` of one task run attempt."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from kestra_stream.expressions.services import ExpressionServices
from kestra_stream.plugins.context import KVStore, LogLevel, MetricType, TaskLogger
from kestra_stream.runtime._expression_services import attempt_services
from kestra_stream.runtime._files import copy_to_local
from kestra_stream.runtime._logger import TaskRunLogger
from kestra_stream.runtime.control import ControlPlane
from kestra_stream.runtime.sinks import LogSink, MetricRecord, MetricSink, TaskRunIdentity
from kestra_stream.storage import Storage, namespace_files_prefix, storage_path, task_run_file

_EXPRESSION_MARKERS = ("{{", "{%", "{#")


class ExpressionRenderer(Protocol):
    """What the expression engine offers: one template rendered, keeping native types."""

    def render_typed(
        self, value: Any, context: Mapping[str, Any], *, services: ExpressionServices | None = None
    ) -> Any: ...


class TaskRunContext:
    """Services and variables of one attempt; use as a context manager to drop its working dir."""

    def __init__(
        self,
        *,
        identity: TaskRunIdentity,
        variables: Mapping[str, Any],
        renderer: ExpressionRenderer,
        storage: Storage,
        kv: KVStore,
        log_sink: LogSink,
        metric_sink: MetricSink,
        log_level: LogLevel = "TRACE",
        tmp_dir: Path | None = None,
        allowed_local_paths: Sequence[Path] = (),
        clock: Callable[[], float] = time.time,
        control: ControlPlane | None = None,
    ) -> None:
        self._identity = identity
        self._variables = variables
        self._renderer = renderer
        self._storage = storage
        self._kv = kv
        self._metric_sink = metric_sink
        self._clock = clock
        self._logger = TaskRunLogger(identity=identity, sink=log_sink, min_level=log_level, clock=clock)
        self._tmp_dir = tmp_dir
        self._allowed_local_paths = tuple(path.resolve() for path in allowed_local_paths)
        self._working_dir: Path | None = None
        self._services: ExpressionServices | None = None
        self._control = control

    @property
    def identity(self) -> TaskRunIdentity:
        return self._identity

    @property
    def variables(self) -> Mapping[str, Any]:
        return self._variables

    @property
    def logger(self) -> TaskLogger:
        return self._logger

    @property
    def kv(self) -> KVStore:
        return self._kv

    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def control(self) -> ControlPlane | None:
        """The repository and command topics, for the control-plane tasks (``runtime.control``)."""
        return self._control

    @property
    def working_dir(self) -> Path:
        if self._working_dir is None:
            if self._tmp_dir is not None:
                self._tmp_dir.mkdir(parents=True, exist_ok=True)
            prefix = f"{self._identity.task_id}-{self._identity.attempt}-"
            self._working_dir = Path(tempfile.mkdtemp(prefix=prefix, dir=self._tmp_dir))
        return self._working_dir

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        context = self._variables if not extra else {**self._variables, **extra}
        return self._render(value, context)

    @property
    def expression_services(self) -> ExpressionServices:
        """``kv()``, ``read()``, ``fileURI()``, file metadata, ``errorLogs()``, ``tasksWithState()``
        bound to this attempt (built once, on the first render that needs them)."""
        if self._services is None:
            base = getattr(self._renderer, "services", None)
            self._services = attempt_services(
                base if isinstance(base, ExpressionServices) else ExpressionServices(),
                identity=self._identity,
                variables=self._variables,
                storage=self._storage,
                kv=self._kv,
                allowed_local_paths=self._allowed_local_paths,
            )
        return self._services

    def _render(self, value: Any, context: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            if not any(marker in value for marker in _EXPRESSION_MARKERS):
                return value
            return self._renderer.render_typed(value, context, services=self.expression_services)
        if isinstance(value, Mapping):
            return {
                (self._render_key(key, context)): self._render(item, context) for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._render(item, context) for item in value]
        return value

    def _render_key(self, key: Any, context: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and any(marker in key for marker in _EXPRESSION_MARKERS):
            return str(self._renderer.render_typed(key, context, services=self.expression_services))
        return key

    def metric(
        self, name: str, type: MetricType, value: float, tags: Mapping[str, str] | None = None
    ) -> None:
        self._metric_sink.emit_metric(
            MetricRecord(
                identity=self._identity,
                name=name,
                type=type,
                value=float(value),
                tags={str(key): str(item) for key, item in (tags or {}).items()},
                timestamp=self._clock(),
            )
        )

    def put_file(self, path: Path, name: str | None = None) -> str:
        identity = self._identity
        target = task_run_file(
            namespace=identity.namespace,
            flow_id=identity.flow_id,
            execution_id=identity.execution_id,
            task_id=identity.task_id,
            task_run_id=identity.task_run_id,
            name=name or path.name,
        )
        with path.open("rb") as stream:
            return self._storage.put(target, stream)

    def get_file(self, uri: str, destination: Path) -> Path:
        return copy_to_local(
            storage=self._storage,
            uri=uri,
            destination=destination,
            namespace=self._identity.namespace,
            allowed_local_paths=self._allowed_local_paths,
        )

    def namespace_files(self, namespace: str | None = None) -> list[str]:
        """Relative paths of a namespace's files (the current one by default)."""
        prefix = storage_path(namespace_files_prefix(namespace or self._identity.namespace))
        paths = (storage_path(info.uri) for info in self._storage.list(prefix))
        return [path[len(prefix) + 1 :] for path in paths]

    def close(self) -> None:
        if self._working_dir is not None:
            shutil.rmtree(self._working_dir, ignore_errors=True)
            self._working_dir = None

    def __enter__(self) -> TaskRunContext:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
