"""A ``WorkingDirectory`` job: its children run one after another in one shared directory.

The executor sends the WorkingDirectory task run as one job (its definition includes its children,
docs/state-machine.md). Here, on one worker:

1. a temporary directory is made; ``namespaceFiles`` then ``inputFiles`` are written into it;
2. each enabled child of ``tasks`` runs with a :class:`TaskRunContext` whose ``working_dir`` is that
   directory and whose variables hold the earlier children's outputs (``outputs.<child>…``,
   ``tasks.<child>.state``) and ``workingDir``; ``runIf``, ``timeout``, ``retry``, ``allowFailure``
   and ``allowWarning`` of each child apply; the first child ending FAILED stops the list;
3. after a failure the ``errors`` children run, then the ``finally`` children (unless killed);
4. ``outputFiles`` are uploaded to internal storage (the WorkingDirectory's ``outputFiles`` output).

Each child becomes a task run of the execution (parent: the WorkingDirectory run): RUNNING reports of
the WorkingDirectory attempt carry the children so far (``WorkerTaskResult.task_runs``), before the
child starts and after it ends, so the executor shows them; the terminal report follows. A kill
cancels the job's token, which interrupts the running child. ``cache`` is not supported (a WARN log).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kestra_stream.executor.core._attempts import final_task_run_state, retry_due
from kestra_stream.executor.core._ids import derived_id
from kestra_stream.executor.messages import WorkerJob, WorkerTaskResult
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.models.dates import format_instant
from kestra_stream.models.durations import format_duration, to_timedelta
from kestra_stream.models.execution import TaskRun, TaskRunAttempt
from kestra_stream.models.state import State, StateType
from kestra_stream.plugins.base import RunnableTask, Task
from kestra_stream.plugins.context import KVStore
from kestra_stream.plugins.core._values import as_list, as_map, as_text
from kestra_stream.plugins.flow import WorkingDirectory
from kestra_stream.plugins.registry import registry
from kestra_stream.plugins.scripts._files import NamespaceFiles as ScriptNamespaceFiles
from kestra_stream.plugins.scripts._files import load_namespace_files
from kestra_stream.queue import MessageTooLargeError
from kestra_stream.runtime import (
    CancelToken,
    TaskFailure,
    TaskKilledError,
    TaskRunContext,
    TaskRunIdentity,
    run_task,
)
from kestra_stream.runtime.control import ControlPlane
from kestra_stream.runtime.sinks import LogSink, MetricSink
from kestra_stream.runtime.workdir import collect_output_files, write_input_files
from kestra_stream.storage import Storage

Outcome = tuple[StateType, dict[str, Any] | None, str | None]

_TIMEOUT = "timeout"


def is_working_directory(job: WorkerJob) -> bool:
    try:
        return registry.resolve(str(job.task.get("type"))) is WorkingDirectory
    except Exception:
        return False


class _SharedDirectoryContext(TaskRunContext):
    """A run context whose working directory is given (and not removed when the context closes)."""

    def __init__(self, *, directory: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shared = directory

    @property
    def working_dir(self) -> Path:
        return self._shared

    def close(self) -> None:
        pass


@dataclass(kw_only=True)
class WorkingDirectoryRunner:
    storage: Storage
    kv: KVStore
    renderer: ExpressionEngine
    log_sink: LogSink
    metric_sink: MetricSink
    worker_id: str
    send: Callable[[WorkerTaskResult], None]
    tmp_dir: Path | None = None
    control: ControlPlane | None = None
    _children: dict[str, TaskRun] = field(default_factory=dict)

    # -- the job ------------------------------------------------------------------------------------

    def run(self, job: WorkerJob, token: CancelToken) -> Outcome:
        try:
            task = WorkingDirectory.model_validate(job.task)
        except Exception as invalid:
            return StateType.FAILED, None, f"invalid task: {invalid}"
        if self.tmp_dir is not None:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix=f"{task.id}-{job.attempt_number}-", dir=self.tmp_dir))
        own = self._context(job, self._identity(job, job.task_run), job.variables, directory)
        watchdog: threading.Timer | None = None
        try:
            watchdog = self._watchdog(task, own, token)
            return self._run(job, task, own, directory, token)
        except TaskFailure as failure:
            own.logger.error(failure.message)
            return StateType.FAILED, failure.outputs or None, failure.message
        finally:
            if watchdog is not None:
                watchdog.cancel()
            shutil.rmtree(directory, ignore_errors=True)

    def _run(
        self, job: WorkerJob, task: WorkingDirectory, own: TaskRunContext, directory: Path, token: CancelToken
    ) -> Outcome:
        extra = {"workingDir": str(directory)}
        if task.namespace_files is not None and task.namespace_files.enabled:
            spec = ScriptNamespaceFiles.model_validate(task.namespace_files.model_dump(mode="json"))
            load_namespace_files(own, spec, directory, job.task_run.namespace)
        try:
            write_input_files(own, directory, as_map(own.render(task.input_files, extra), "inputFiles"))
        except ValueError as error:
            raise TaskFailure(f"invalid `inputFiles`: {error}") from error
        variables: dict[str, Any] = {**job.variables, **extra}
        variables["outputs"] = dict(variables.get("outputs") or {})
        variables["tasks"] = dict(variables.get("tasks") or {})
        states = self._branch(job, task.tasks, variables, directory, token)
        failed = StateType.FAILED in states
        if failed and not token.cancelled:
            states += self._branch(job, task.errors or [], variables, directory, token)
        if not token.cancelled:
            states += self._branch(job, task.finally_ or [], variables, directory, token)
        if token.cancelled:
            if token.reason == _TIMEOUT:
                message = f"Timeout after {format_duration(to_timedelta(own.render(task.timeout)))}"
                own.logger.error(message)
                return StateType.FAILED, None, message
            return StateType.KILLED, None, f"task cancelled: {token.reason}"
        outputs: dict[str, Any] = {}
        patterns = [as_text(item) for item in as_list(own.render(task.output_files, extra))]
        if patterns:
            outputs["outputFiles"] = collect_output_files(own, directory, patterns)
        if StateType.FAILED in states:
            return StateType.FAILED, outputs or None, "a child task failed"
        if StateType.WARNING in states:
            return StateType.WARNING, outputs or None, None
        return StateType.SUCCESS, outputs or None, None

    def _watchdog(
        self, task: WorkingDirectory, own: TaskRunContext, token: CancelToken
    ) -> threading.Timer | None:
        if task.timeout is None:
            return None
        try:
            limit = to_timedelta(own.render(task.timeout)).total_seconds()
        except ValueError as error:
            raise TaskFailure(f"invalid timeout `{task.timeout}`: {error}") from error
        timer = threading.Timer(limit, token.cancel, args=(_TIMEOUT,))
        timer.daemon = True
        timer.start()
        return timer

    # -- children -----------------------------------------------------------------------------------

    def _branch(
        self,
        job: WorkerJob,
        tasks: list[Task],
        variables: dict[str, Any],
        directory: Path,
        token: CancelToken,
    ) -> list[StateType]:
        """Run ``tasks`` in order; stop after the first FAILED one or on cancellation."""
        states: list[StateType] = []
        for child_task in tasks:
            if child_task.disabled:
                continue
            if token.cancelled:
                break
            state = self._child(job, child_task, variables, directory, token)
            states.append(state)
            if state is StateType.FAILED or token.cancelled:
                break
        return states

    def _child(
        self,
        job: WorkerJob,
        task: Task,
        variables: dict[str, Any],
        directory: Path,
        token: CancelToken,
    ) -> StateType:
        now = datetime.now(UTC)
        run = TaskRun(
            id=derived_id(job.execution_id, job.task_run_id, job.attempt_number, task.id),
            tenant_id=job.task_run.tenant_id,
            execution_id=job.execution_id,
            namespace=job.task_run.namespace,
            flow_id=job.task_run.flow_id,
            task_id=task.id,
            parent_task_run_id=job.task_run_id,
            state=State.of(StateType.CREATED, at=now),
        )
        context_variables = self._child_variables(job, task, run, variables)
        if task.run_if is not None:
            try:
                proceed = ExpressionEngine.is_truthy(
                    as_text(self.renderer.render(task.run_if, context_variables)).strip()
                )
            except Exception as invalid:
                return self._end(
                    job, run, task, variables, StateType.FAILED, None, f"Unable to evaluate runIf: {invalid}"
                )
            if not proceed:
                return self._end(job, run, task, variables, StateType.SKIPPED, None, None, attempt=False)
        while True:
            run = self._started(job, run)
            state, outputs, error = self._attempt(job, task, run, context_variables, directory, token)
            if state is StateType.FAILED and task.retry is not None and not token.cancelled:
                due = retry_due(task.retry, run, datetime.now(UTC))
                if due is not None:
                    run = self._end_attempt(run, StateType.FAILED).with_state(StateType.RETRYING)
                    self._report(job, run)
                    if token.wait(max(0.0, (due - datetime.now(UTC)).total_seconds())):
                        return self._end(job, run, task, variables, StateType.KILLED, outputs, error)
                    context_variables["taskrun"]["attemptsCount"] = run.attempts_count + 1
                    continue
            return self._end(job, run, task, variables, state, outputs, error)

    def _started(self, job: WorkerJob, run: TaskRun) -> TaskRun:
        now = datetime.now(UTC)
        attempt = TaskRunAttempt(state=State.of(StateType.RUNNING, at=now), worker_id=self.worker_id)
        run = run.model_copy(
            update={
                "attempts": (*(run.attempts or ()), attempt),
                "state": run.state.with_state(StateType.RUNNING, at=now),
            }
        )
        self._report(job, run)
        return run

    def _attempt(
        self,
        job: WorkerJob,
        task: Task,
        run: TaskRun,
        variables: dict[str, Any],
        directory: Path,
        token: CancelToken,
    ) -> Outcome:
        identity = self._identity(job, run, task_id=task.id, attempt=len(run.attempts or ()))
        context = self._context(job, identity, variables, directory)
        if not isinstance(task, RunnableTask):
            message = f"{task.type} cannot run in a WorkingDirectory: only runnable tasks can"
            context.logger.error(message)
            return StateType.FAILED, None, message
        try:
            outputs = run_task(task, context, token=token)
        except TaskKilledError as killed:
            return StateType.KILLED, killed.outputs or None, killed.message
        except TaskFailure as failure:
            context.logger.error(failure.message)
            return StateType.FAILED, failure.outputs or None, failure.message
        except Exception as crash:
            message = f"{type(crash).__name__}: {crash}"
            context.logger.error(message)
            return StateType.FAILED, None, message
        return StateType.SUCCESS, dict(outputs) or None, None

    def _end_attempt(self, run: TaskRun, state: StateType) -> TaskRun:
        attempts = list(run.attempts or ())
        if attempts:
            attempts[-1] = attempts[-1].with_state(state, at=datetime.now(UTC))
        return run.model_copy(update={"attempts": tuple(attempts)})

    def _end(
        self,
        job: WorkerJob,
        run: TaskRun,
        task: Task,
        variables: dict[str, Any],
        attempt_state: StateType,
        outputs: dict[str, Any] | None,
        error: str | None,
        *,
        attempt: bool = True,
    ) -> StateType:
        if attempt:
            run = self._end_attempt(run, attempt_state)
        final = final_task_run_state(task, run, attempt_state)
        run = run.model_copy(
            update={"state": run.state.with_state(final, at=datetime.now(UTC)), "outputs": outputs}
        )
        self._report(job, run)
        keys = _iteration_keys(job)
        if outputs is not None:
            _put_keyed(variables["outputs"], task.id, keys, outputs)
        _put_keyed(variables["tasks"], task.id, keys, {"state": final.value})
        return final

    def _child_variables(
        self, job: WorkerJob, task: Task, run: TaskRun, variables: dict[str, Any]
    ) -> dict[str, Any]:
        parent_run = {"taskrun": job.variables.get("taskrun") or {"id": job.task_run_id}, "outputs": {}}
        parents = [parent_run, *(job.variables.get("parents") or [])]
        return {
            **variables,
            "task": {"id": task.id, "type": task.type},
            "taskrun": {
                "id": run.id,
                "startDate": format_instant(run.state.start_date),
                "attemptsCount": 0,
                "parentId": job.task_run_id,
            },
            "parent": parent_run,
            "parents": parents,
        }

    # -- plumbing -----------------------------------------------------------------------------------

    def _report(self, job: WorkerJob, run: TaskRun) -> None:
        """A RUNNING report of the WorkingDirectory attempt carrying every child so far."""
        self._children[run.id] = run
        result = WorkerTaskResult(
            execution_id=job.execution_id,
            task_run_id=job.task_run_id,
            attempt_number=job.attempt_number,
            worker_id=self.worker_id,
            state=StateType.RUNNING,
            date=datetime.now(UTC),
            task_runs=tuple(self._children.values()),
        )
        try:
            self.send(result)
        except MessageTooLargeError:
            # the latest child alone: the earlier ones were already reported
            self.send(result.model_copy(update={"task_runs": (run,)}))

    def _identity(
        self, job: WorkerJob, run: TaskRun, *, task_id: str | None = None, attempt: int | None = None
    ) -> TaskRunIdentity:
        return TaskRunIdentity(
            namespace=job.task_run.namespace,
            flow_id=job.task_run.flow_id,
            execution_id=job.execution_id,
            task_id=task_id or run.task_id,
            task_run_id=run.id,
            attempt=job.attempt_number if attempt is None else attempt,
            value=job.task_run.value,
            tenant_id=job.task_run.tenant_id or "main",
        )

    def _context(
        self, job: WorkerJob, identity: TaskRunIdentity, variables: Mapping[str, Any], directory: Path
    ) -> TaskRunContext:
        return _SharedDirectoryContext(
            directory=directory,
            identity=identity,
            variables=variables,
            renderer=self.renderer,
            storage=self.storage,
            kv=self.kv,
            log_sink=self.log_sink,
            metric_sink=self.metric_sink,
            tmp_dir=self.tmp_dir,
            control=self.control,
        )


def _iteration_keys(job: WorkerJob) -> list[str]:
    """Iteration values above the children (the WorkingDirectory's, its parents'), outermost first."""
    keys: list[str] = []
    if job.task_run.value is not None:
        keys.append(job.task_run.value)
    for parent in job.variables.get("parents") or []:
        value = (parent.get("taskrun") or {}).get("value") if isinstance(parent, dict) else None
        if value is not None:
            keys.append(str(value))
    return list(reversed(keys))


def _put_keyed(target: dict[str, Any], task_id: str, keys: list[str], payload: dict[str, Any]) -> None:
    """Like the executor's ``{{ outputs }}``: one level per iteration value, copied, not shared."""
    if not keys:
        target[task_id] = dict(payload)
        return
    node = target[task_id] = dict(target.get(task_id) or {})
    for key in keys:
        child = node.get(key)
        node[key] = child = dict(child) if isinstance(child, dict) else {}
        node = child
    node.update(payload)
