"""Executions and their task runs, as carried by queues and returned by the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from kestra_stream.models.dates import Instant
from kestra_stream.models.labels import Labels
from kestra_stream.models.payload import Payload
from kestra_stream.models.state import State, StateType


class TaskRunAttempt(Payload):
    state: State
    worker_id: str | None = None
    log_file: str | None = None

    def with_state(self, state: StateType, *, at: datetime | None = None) -> TaskRunAttempt:
        return self.model_copy(update={"state": self.state.with_state(state, at=at)})


class TaskRun(Payload):
    id: str
    tenant_id: str | None = None
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    parent_task_run_id: str | None = None
    value: str | None = None
    iteration: int | None = None
    items: str | None = None
    attempts: tuple[TaskRunAttempt, ...] | None = None
    outputs: dict[str, Any] | None = None
    state: State = Field(default_factory=State.of)
    dynamic: bool | None = None
    force_execution: bool | None = None

    @property
    def attempts_count(self) -> int:
        """``taskrun.attemptsCount``: attempts before the current one."""
        return max(len(self.attempts or ()) - 1, 0)

    def with_state(self, state: StateType, *, at: datetime | None = None) -> TaskRun:
        return self.model_copy(update={"state": self.state.with_state(state, at=at)})


class ExecutionTrigger(Payload):
    """What created the execution; ``variables`` are exposed as ``{{ trigger.* }}``."""

    id: str
    type: str
    variables: dict[str, Any] | None = None
    log_file: str | None = None


class ExecutionMetadata(Payload):
    attempt_number: int = 1
    original_created_date: Instant | None = None


class ExecutionKind(StrEnum):
    NORMAL = "NORMAL"
    TEST = "TEST"
    PLAYGROUND = "PLAYGROUND"


class Breakpoint(Payload):
    id: str
    value: str | None = None


class Execution(Payload):
    id: str
    tenant_id: str | None = None
    namespace: str
    flow_id: str
    flow_revision: int
    task_run_list: tuple[TaskRun, ...] | None = None
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    labels: Labels | None = None
    variables: dict[str, Any] | None = None
    state: State = Field(default_factory=State.of)
    parent_id: str | None = None
    original_id: str | None = None
    trigger: ExecutionTrigger | None = None
    deleted: bool = False
    metadata: ExecutionMetadata | None = None
    schedule_date: Instant | None = None
    trace_parent: str | None = None
    kind: ExecutionKind | None = None
    breakpoints: tuple[Breakpoint, ...] | None = None

    def task_runs(self) -> Iterator[TaskRun]:
        return iter(self.task_run_list or ())

    def find_task_run(self, task_run_id: str) -> TaskRun | None:
        return next((run for run in self.task_runs() if run.id == task_run_id), None)

    def with_state(self, state: StateType, *, at: datetime | None = None) -> Execution:
        return self.model_copy(update={"state": self.state.with_state(state, at=at)})

    def with_task_run(self, task_run: TaskRun) -> Execution:
        """A copy where ``task_run`` replaces the run with the same id, or is appended."""
        runs = list(self.task_runs())
        for index, run in enumerate(runs):
            if run.id == task_run.id:
                runs[index] = task_run
                break
        else:
            runs.append(task_run)
        return self.model_copy(update={"task_run_list": tuple(runs)})
