"""The mutable view of one execution while one event is applied; frozen back into a state at the end.

Rules read and change task runs through it (indexed by id and by parent), add timers, commands and
logs. Building the new :class:`Execution` happens once per event, in :meth:`Working.freeze`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from kestra_stream.executor.core._flow_index import FlowIndex
from kestra_stream.executor.core._ids import derived_id
from kestra_stream.executor.core._loop_scope import is_loop
from kestra_stream.executor.core._types import Command, CoreSettings, EmitLog
from kestra_stream.executor.state import ConcurrencySlot, ExecutorState, Timer, TimerKind
from kestra_stream.models.dates import format_instant
from kestra_stream.models.execution import Execution, TaskRun, TaskRunAttempt
from kestra_stream.models.labels import Label
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.state import State, StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.plugins.base import Task

ERROR_LOGS = "error_logs"  # extra: the execution's error messages, for errorLogs() in task runs
ERROR_LOGS_KEPT = 100
ERROR_MESSAGE_CHARS = 2000

ACTIVE_RUN_STATES = frozenset(
    {
        StateType.CREATED,
        StateType.SUBMITTED,
        StateType.RUNNING,
        StateType.PAUSED,
        StateType.RESTARTED,
        StateType.KILLING,
        StateType.RETRYING,
        StateType.RESUBMITTED,
        StateType.BREAKPOINT,
    }
)


class Working:
    def __init__(
        self,
        state: ExecutorState,
        *,
        index: FlowIndex | None,
        settings: CoreSettings,
        now: datetime,
    ) -> None:
        execution = state.execution
        self.base = execution
        self.index = index
        self.settings = settings
        self.now = now
        self.state: State = execution.state
        self.runs: dict[str, TaskRun] = {run.id: run for run in execution.task_runs()}
        self.children: dict[str | None, list[str]] = {}
        for run in self.runs.values():
            self.children.setdefault(run.parent_task_run_id, []).append(run.id)
        self.labels: tuple[Label, ...] | None = execution.labels
        self.variables: dict[str, Any] | None = execution.variables
        self.outputs: dict[str, Any] | None = execution.outputs
        self.inputs: dict[str, Any] | None = execution.inputs
        self.flow_revision = execution.flow_revision
        self.metadata = execution.metadata
        self.timers: dict[str, Timer] = {timer.timer_id: timer for timer in state.timers}
        self.concurrency = state.concurrency
        self.extra: dict[str, Any] = dict(state.extra)
        self.commands: list[Command] = []
        self.changed = False
        self._outputs_cache: dict[str, Any] | None = None
        self._tasks_cache: dict[str, Any] | None = None

    # -- execution ------------------------------------------------------------------------------
    @property
    def execution_id(self) -> str:
        return self.base.id

    @property
    def current(self) -> StateType:
        return self.state.current

    def set_execution_state(self, state: StateType) -> None:
        if self.state.current is not state:
            self.state = self.state.with_state(state, at=self.now)
            self.changed = True

    @property
    def attempt_number(self) -> int:
        return self.metadata.attempt_number if self.metadata is not None else 1

    # -- task runs ------------------------------------------------------------------------------
    def run(self, run_id: str) -> TaskRun:
        return self.runs[run_id]

    def children_of(self, parent_id: str | None) -> Iterator[TaskRun]:
        return (self.runs[child] for child in self.children.get(parent_id, ()))

    def put_run(self, run: TaskRun, *, outputs_changed: bool = False) -> TaskRun:
        if run.id not in self.runs:
            self.children.setdefault(run.parent_task_run_id, []).append(run.id)
            outputs_changed = outputs_changed or run.outputs is not None
        self.runs[run.id] = run
        self.changed = True
        self._tasks_cache = None
        if outputs_changed:
            self._outputs_cache = None
        return run

    def remove_runs(self, run_ids: set[str]) -> None:
        if not run_ids:
            return
        self.runs = {run_id: run for run_id, run in self.runs.items() if run_id not in run_ids}
        self.children = {}
        for run in self.runs.values():
            self.children.setdefault(run.parent_task_run_id, []).append(run.id)
        self.changed = True
        self._tasks_cache = None
        self._outputs_cache = None
        for timer in [timer for timer in self.timers.values() if timer.task_run_id in run_ids]:
            del self.timers[timer.timer_id]

    def new_run(
        self, task: Task, *, parent: TaskRun | None, value: str | None = None, iteration: int | None = None
    ) -> TaskRun:
        parent_id = parent.id if parent is not None else None
        run = TaskRun(
            id=derived_id(self.execution_id, self.attempt_number, parent_id, task.id, value, iteration),
            tenant_id=self.base.tenant_id,
            execution_id=self.execution_id,
            namespace=self.base.namespace,
            flow_id=self.base.flow_id,
            task_id=task.id,
            parent_task_run_id=parent_id,
            value=value,
            iteration=iteration,
            state=State.of(StateType.CREATED, at=self.now),
        )
        return self.put_run(run)

    def set_run_state(self, run: TaskRun, state: StateType, **update: Any) -> TaskRun:
        current = self.runs.get(run.id, run)
        changes: dict[str, Any] = dict(update)
        if current.state.current is not state:
            changes["state"] = current.state.with_state(state, at=self.now)
        if not changes:
            return current
        return self.put_run(current.model_copy(update=changes), outputs_changed="outputs" in update)

    def set_run_outputs(self, run: TaskRun, outputs: dict[str, Any] | None) -> TaskRun:
        current = self.runs.get(run.id, run)
        return self.put_run(current.model_copy(update={"outputs": outputs}), outputs_changed=True)

    def current_attempt(self, run: TaskRun) -> TaskRunAttempt | None:
        return run.attempts[-1] if run.attempts else None

    def add_attempt(self, run: TaskRun, state: StateType = StateType.CREATED) -> TaskRun:
        attempt = TaskRunAttempt(state=State.of(state, at=self.now))
        return self.put_run(run.model_copy(update={"attempts": (*(run.attempts or ()), attempt)}))

    def set_attempt_state(self, run: TaskRun, state: StateType, *, worker_id: str | None = None) -> TaskRun:
        run = self.runs.get(run.id, run)
        attempts = list(run.attempts or ())
        if not attempts:
            attempts.append(TaskRunAttempt(state=State.of(state, at=self.now)))
        else:
            last = attempts[-1]
            update: dict[str, Any] = {"state": last.state.with_state(state, at=self.now)}
            if worker_id is not None:
                update["worker_id"] = worker_id
            attempts[-1] = last.model_copy(update=update)
        return self.put_run(run.model_copy(update={"attempts": tuple(attempts)}))

    def active_runs(self) -> Iterator[TaskRun]:
        return (run for run in self.runs.values() if run.state.current in ACTIVE_RUN_STATES)

    def parents_of(self, run: TaskRun) -> list[TaskRun]:
        """Ancestors, the direct parent first."""
        parents: list[TaskRun] = []
        parent_id = run.parent_task_run_id
        while parent_id is not None:
            parent = self.runs.get(parent_id)
            if parent is None:
                break
            parents.append(parent)
            parent_id = parent.parent_task_run_id
        return parents

    def task_of(self, run: TaskRun) -> Task | None:
        return self.index.task(run.task_id) if self.index is not None else None

    # -- derived maps (cached until a run changes) --------------------------------------------
    def outputs_map(self) -> dict[str, Any]:
        """``{{ outputs }}``: each run's outputs, one level per iteration value (kestra-features §6.2)."""
        if self._outputs_cache is None:
            self._outputs_cache = self._keyed(lambda run: run.outputs)
        return self._outputs_cache

    def tasks_map(self) -> dict[str, Any]:
        """``{{ tasks.<id>.state }}``, keyed like outputs."""
        if self._tasks_cache is None:
            self._tasks_cache = self._keyed(lambda run: {"state": run.state.current.value})
        return self._tasks_cache

    def _keyed(self, pick: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for run in self.runs.values():
            payload = pick(run)
            if payload is None:
                continue
            keys = [run.value] if run.value is not None else []
            parent_id = run.parent_task_run_id
            in_loop = False
            while parent_id is not None:
                parent = self.runs.get(parent_id)
                if parent is None:
                    break
                if is_loop(self, parent):  # scoped to its iteration (``_loop_scope``)
                    in_loop = True
                    break
                if parent.value is not None:
                    keys.append(parent.value)
                parent_id = parent.parent_task_run_id
            if in_loop:
                continue
            node = result.setdefault(run.task_id, {})
            for key in reversed(keys):
                child = node.get(key)
                if not isinstance(child, dict):
                    child = node[key] = {}
                node = child
            node.update(payload)
        return result

    # -- timers, commands, logs -------------------------------------------------------------------
    def add_timer(
        self, kind: TimerKind, due: datetime, *, task_run_id: str | None = None, tag: object = ""
    ) -> Timer:
        timer = Timer(
            timer_id=f"{kind.value}:{task_run_id or ''}:{tag}", due=due, kind=kind, task_run_id=task_run_id
        )
        self.timers[timer.timer_id] = timer
        self.changed = True
        return timer

    def cancel_timers(self, *, task_run_id: str | None = None, kind: TimerKind | None = None) -> None:
        doomed = [
            timer.timer_id
            for timer in self.timers.values()
            if (task_run_id is None or timer.task_run_id == task_run_id)
            and (kind is None or timer.kind is kind)
        ]
        for timer_id in doomed:
            del self.timers[timer_id]
            self.changed = True

    def cancel_timers_by_id(self, timer_id: str) -> None:
        if self.timers.pop(timer_id, None) is not None:
            self.changed = True

    def emit(self, command: Command) -> None:
        self.commands.append(command)

    def log(self, level: LogLevel, message: str, *, run: TaskRun | None = None) -> None:
        attempt = len(run.attempts) if run is not None and run.attempts else None
        if level is LogLevel.ERROR:
            self.note_error(message, run=run, attempt=attempt, thread="executor")
        self.commands.append(
            EmitLog(
                entry=LogEntry(
                    tenant_id=self.base.tenant_id,
                    namespace=self.base.namespace,
                    flow_id=self.base.flow_id,
                    task_id=run.task_id if run is not None else None,
                    execution_id=self.execution_id,
                    task_run_id=run.id if run is not None else None,
                    attempt_number=attempt,
                    timestamp=self.now,
                    level=level,
                    thread="executor",
                    message=message,
                    execution_kind=self.base.kind,
                )
            )
        )

    def note_error(
        self, message: str, *, run: TaskRun | None, attempt: int | None, thread: str | None = None
    ) -> None:
        """Keep an error message for ``errorLogs()`` in later task runs (bounded, see ERROR_LOGS_KEPT)."""
        kept: list[dict[str, Any]] = list(self.extra.get(ERROR_LOGS, ()))
        if len(kept) >= ERROR_LOGS_KEPT:
            return
        entry: dict[str, Any] = {
            "message": message[:ERROR_MESSAGE_CHARS],
            "timestamp": format_instant(self.now),
        }
        if run is not None:
            entry["taskId"] = run.task_id
            entry["taskRunId"] = run.id
        if attempt is not None:
            entry["attemptNumber"] = attempt
        if thread is not None:
            entry["thread"] = thread
        self.set_extra(ERROR_LOGS, [*kept, entry])

    # -- bookkeeping --------------------------------------------------------------------------------
    def set_extra(self, key: str, value: Any) -> None:
        if value is None:
            if key in self.extra:
                del self.extra[key]
                self.changed = True
        elif self.extra.get(key) != value:
            self.extra[key] = value
            self.changed = True

    def set_concurrency(self, slot: ConcurrencySlot) -> None:
        if self.concurrency is not slot:
            self.concurrency = slot
            self.changed = True

    # -- freezing -------------------------------------------------------------------------------------
    def execution(self) -> Execution:
        return self.base.model_copy(
            update={
                "state": self.state,
                "task_run_list": tuple(self.runs.values()) or None,
                "labels": self.labels,
                "variables": self.variables,
                "outputs": self.outputs,
                "inputs": self.inputs,
                "flow_revision": self.flow_revision,
                "metadata": self.metadata,
            }
        )

    def freeze(self, previous: ExecutorState) -> ExecutorState:
        return replace(
            previous,
            execution=self.execution(),
            timers=tuple(sorted(self.timers.values(), key=lambda timer: (timer.due, timer.timer_id))),
            concurrency=self.concurrency,
            extra=self.extra,
        )
