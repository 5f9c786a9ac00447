"""What travels on the executor's topics (docs/engine.md): executions, worker jobs/results, kills.

Every message is a :class:`~kestra_stream.models.Payload` (camelCase JSON through orjson, unknown
properties ignored so a newer producer never breaks an older consumer). Messages on ``executions``
form the discriminated union :data:`ExecutionMessage` (field ``type``); read them with
:func:`execution_message_from_json`. Every execution-scoped message exposes ``execution_id``, the
Kafka key that routes it to the executor owning the execution.

Replay is not a message of its own: the API builds the replayed execution (new id, same
``originalId``, task runs before the chosen one copied with their outputs, label
``system.replay``...) and sends it as a :class:`NewExecution`; the core starts any execution from the
task runs it already carries.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, TypeAdapter

from kestra_stream.models.dates import Instant
from kestra_stream.models.execution import Execution, TaskRun
from kestra_stream.models.payload import Payload
from kestra_stream.models.state import StateType

__all__ = [
    "ChangeTaskRunState",
    "ConcurrencyAction",
    "ConcurrencyDecision",
    "ConcurrencyRequest",
    "ConcurrencyVerdict",
    "ExecutionKilled",
    "ExecutionMessage",
    "KillExecution",
    "NewExecution",
    "PauseExecution",
    "PreconditionPart",
    "PreconditionRequest",
    "PurgeExecution",
    "RestartExecution",
    "ResumeExecution",
    "SubflowEnded",
    "Unqueue",
    "WorkerJob",
    "WorkerTaskResult",
    "execution_message_from_json",
    "execution_message_to_json",
]


# -- executions topic ---------------------------------------------------------------------------


class NewExecution(Payload):
    """Start an execution (API, scheduler, subflow task, flow trigger, replay, flow-level retry)."""

    type: Literal["NewExecution"] = "NewExecution"
    execution: Execution

    @property
    def execution_id(self) -> str:
        return self.execution.id


class KillExecution(Payload):
    """Kill request; ``cascade`` also kills running subflow children."""

    type: Literal["KillExecution"] = "KillExecution"
    execution_id: str
    cascade: bool = True


class PauseExecution(Payload):
    """Manual pause of a RUNNING execution: no new task run starts until it is resumed."""

    type: Literal["PauseExecution"] = "PauseExecution"
    execution_id: str


class ResumeExecution(Payload):
    """Resume a PAUSED execution; ``inputs`` are the Pause task's ``onResume`` values (raw).

    ``task_run_id`` picks the paused task run to resume; ``None`` resumes every paused one.
    """

    type: Literal["ResumeExecution"] = "ResumeExecution"
    execution_id: str
    task_run_id: str | None = None
    inputs: dict[str, Any] | None = None
    by: str | None = None


class PurgeExecution(Payload):
    """Forget a terminated execution now (``execution.PurgeExecutions``): the owning executor drops
    its state (a tombstone on ``execution-states``), as its purge timer would later."""

    type: Literal["PurgeExecution"] = "PurgeExecution"
    execution_id: str


class RestartExecution(Payload):
    """Re-run the failed task runs of a FAILED/KILLED/PAUSED execution, in place."""

    type: Literal["RestartExecution"] = "RestartExecution"
    execution_id: str
    revision: int | None = None
    execution: Execution | None = None
    """The execution as last indexed, for when the executor already purged it from its store."""


class ChangeTaskRunState(Payload):
    """Manually set a task run state (e.g. a PAUSED or FAILED one to SUCCESS), then re-derive."""

    type: Literal["ChangeTaskRunState"] = "ChangeTaskRunState"
    execution_id: str
    task_run_id: str
    state: StateType


class Unqueue(Payload):
    """Take a QUEUED execution out of the concurrency queue: RUNNING (force run) or a terminal state."""

    type: Literal["Unqueue"] = "Unqueue"
    execution_id: str
    state: StateType = StateType.RUNNING


class SubflowEnded(Payload):
    """A child execution reached a terminal state; keyed by the *parent* execution id."""

    type: Literal["SubflowEnded"] = "SubflowEnded"
    execution_id: str
    task_run_id: str
    child_execution_id: str
    state: StateType
    outputs: dict[str, Any] | None = None
    original_execution_id: str | None = None
    """The child's ``originalId``: a child retried as a new execution still answers its parent."""
    iteration: int | None = None
    """For ForEachItem children: the batch index (``taskrun.iteration`` of the child)."""


class ConcurrencyVerdict(StrEnum):
    RUN = "RUN"
    QUEUE = "QUEUE"
    CANCEL = "CANCEL"
    FAIL = "FAIL"


class ConcurrencyDecision(Payload):
    """The per-flow concurrency counter's answer to an acquire request (docs/state-machine.md)."""

    type: Literal["ConcurrencyDecision"] = "ConcurrencyDecision"
    execution_id: str
    verdict: ConcurrencyVerdict


ExecutionMessage = Annotated[
    NewExecution
    | KillExecution
    | PauseExecution
    | ResumeExecution
    | PurgeExecution
    | RestartExecution
    | ChangeTaskRunState
    | Unqueue
    | SubflowEnded
    | ConcurrencyDecision,
    Field(discriminator="type"),
]
"""Everything on the ``executions`` topic, keyed by ``message.execution_id``."""

_EXECUTION_MESSAGE: TypeAdapter[ExecutionMessage] = TypeAdapter(ExecutionMessage)


def execution_message_from_json(data: bytes | str) -> ExecutionMessage:
    return _EXECUTION_MESSAGE.validate_python(orjson.loads(data))


def execution_message_to_json(message: ExecutionMessage) -> bytes:
    return message.to_json()


# -- concurrency counter (keyed by flow) ----------------------------------------------------------


class ConcurrencyAction(StrEnum):
    ACQUIRE = "ACQUIRE"
    RELEASE = "RELEASE"


class ConcurrencyRequest(Payload):
    """To the per-flow slot counter (key ``flow_key``): acquire a slot at start, release it at the end."""

    flow_key: str
    execution_id: str
    action: ConcurrencyAction
    limit: int | None = None
    behavior: str | None = None
    date: Instant | None = None


# -- flow-trigger preconditions (keyed by triggered flow + trigger) ------------------------------------


class PreconditionPart(Payload):
    """One stateful condition of a Flow trigger (``preconditions`` or a ``MultipleCondition``).

    ``required`` names every sub-condition that must have been seen within the window, ``matched``
    those the triggering execution satisfies. ``time_window`` is the trigger's ``TimeWindow`` as JSON.
    """

    condition_id: str
    required: tuple[str, ...]
    matched: tuple[str, ...]
    time_window: dict[str, Any] | None = None
    reset_on_success: bool = True


class PreconditionRequest(Payload):
    """To the per-trigger precondition store (key ``trigger_key``; docs/state-machine.md).

    ``execution`` is the execution to start if this request completes every part (built by the executor
    of the triggering execution: id derived from it, trigger variables, rendered inputs).
    """

    trigger_key: str
    request_id: str
    date: Instant
    parts: tuple[PreconditionPart, ...]
    execution: Execution


# -- worker-jobs / worker-task-results / execution-kills ------------------------------------------


class WorkerJob(Payload):
    """One attempt of a runnable task run for a worker (``worker-jobs``, key: task run id).

    ``task`` is the task definition with plugin defaults applied, not rendered (the worker renders
    it with ``variables``, the run context built by the executor).
    """

    type: Literal["task"] = "task"
    task_run: TaskRun
    attempt_number: int
    task: dict[str, Any]
    variables: dict[str, Any]
    worker_group: str | None = None

    @property
    def execution_id(self) -> str:
        return self.task_run.execution_id

    @property
    def task_run_id(self) -> str:
        return self.task_run.id


class WorkerTaskResult(Payload):
    """A worker's report on one attempt: RUNNING when it starts, then a terminal state.

    Keyed by execution id. ``(task_run_id, attempt_number)`` makes redeliveries harmless. Metrics and
    logs travel on their own topics.

    ``task_runs``: the child task runs the attempt made itself (a ``WorkingDirectory`` runs its children
    on the worker), each whole and with ``parent_task_run_id`` = ``task_run_id``; a later report of
    the same attempt replaces them by id. They may also come with a RUNNING report (progress).
    """

    execution_id: str
    task_run_id: str
    attempt_number: int
    worker_id: str | None = None
    state: StateType
    outputs: dict[str, Any] | None = None
    error: str | None = None
    date: Instant | None = None
    task_runs: tuple[TaskRun, ...] | None = None


class ExecutionKilled(Payload):
    """Kill notice for workers (``execution-kills``): stop the jobs of ``execution_id``.

    ``task_run_ids`` narrows it to some task runs; ``None`` means every job of the execution.
    """

    execution_id: str
    task_run_ids: tuple[str, ...] | None = None
