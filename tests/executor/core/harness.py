"""Drives whole flows through ``handle`` with an in-test fake worker, concurrency counter and clock.

Seed of the end-to-end suites: swap the in-memory routing for the Kafka/memory queue and the fake
worker for the real one, and the same scenarios must pass.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from kestra_stream.executor.core import (
    CoreSettings,
    EmitConcurrencyRequest,
    EmitExecutionMessage,
    EmitKill,
    EmitLog,
    EmitPreconditionRequest,
    ExecutorEvent,
    Outcome,
    SubmitWorkerJob,
    TimerFired,
    handle,
)
from kestra_stream.executor.core.concurrency import ConcurrencyCounter, count
from kestra_stream.executor.core.preconditions import PreconditionState
from kestra_stream.executor.core.preconditions import evaluate as evaluate_preconditions
from kestra_stream.executor.messages import (
    ExecutionMessage,
    NewExecution,
    WorkerJob,
    WorkerTaskResult,
)
from kestra_stream.executor.state import ExecutorState
from kestra_stream.flows import Flow, parse_flow
from kestra_stream.models import Execution, Label, LogEntry, State, StateType
from kestra_stream.plugins.base import AnyTask, RunnableTask
from kestra_stream.plugins.triggers import FlowTrigger

START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

WorkerBehavior = Callable[[WorkerJob], "tuple[StateType, dict[str, Any] | None] | None"]
"""A task's fake result: (terminal state, outputs), or None to leave the job running."""


def succeed(outputs: dict[str, Any] | None = None) -> WorkerBehavior:
    return lambda job: (StateType.SUCCESS, outputs)


def fail(job: WorkerJob) -> tuple[StateType, dict[str, Any] | None]:
    return StateType.FAILED, None


def hang(job: WorkerJob) -> None:
    return None


@dataclass
class Harness:
    sources: tuple[str, ...]
    behaviors: dict[str, WorkerBehavior] = field(default_factory=dict)
    real_tasks: bool = False
    work_dir: Path | None = None
    settings: CoreSettings = field(default_factory=CoreSettings)
    now: datetime = START
    flows: dict[tuple[str, str], Flow] = field(default_factory=dict)
    states: dict[str, ExecutorState] = field(default_factory=dict)
    purged: dict[str, Execution] = field(default_factory=dict)
    inbox: deque[tuple[str, ExecutorEvent]] = field(default_factory=deque)
    running_jobs: dict[str, WorkerJob] = field(default_factory=dict)
    jobs: list[WorkerJob] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    kills: list[Any] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    counters: dict[str, ConcurrencyCounter] = field(default_factory=dict)
    preconditions: dict[str, PreconditionState] = field(default_factory=dict)
    precondition_requests: list[Any] = field(default_factory=list)
    auto_run: bool = True
    events: int = 0
    started: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for source in self.sources:
            flow = parse_flow(source)
            self.flows[(flow.namespace, flow.id)] = flow.model_copy(update={"revision": flow.revision or 1})

    # -- plumbing -------------------------------------------------------------------------------
    def lookup(self, namespace: str, flow_id: str, revision: int | None) -> Flow | None:
        return self.flows.get((namespace, flow_id))

    @property
    def flow_lookup(self) -> _Lookup:
        """The lookup given to ``handle``, with ``flows_with_flow_triggers`` like the shell's cache."""
        return _Lookup(self)

    def execution(self, execution_id: str) -> Execution:
        if execution_id in self.states:
            return self.states[execution_id].execution
        return self.purged[execution_id]

    def start(
        self,
        flow_id: str,
        *,
        namespace: str = "company.team",
        inputs: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
        execution_id: str | None = None,
        schedule_date: datetime | None = None,
        run: bool = True,
    ) -> str:
        flow = self.flows[(namespace, flow_id)]
        execution_id = execution_id or f"exec{len(self.states) + len(self.purged) + 1}"
        execution = Execution(
            id=execution_id,
            namespace=namespace,
            flow_id=flow_id,
            flow_revision=flow.revision or 1,
            inputs=dict(inputs) if inputs is not None else None,
            labels=tuple(Label(key=k, value=v) for k, v in (labels or {}).items()) or None,
            state=State.of(StateType.CREATED, at=self.now),
            schedule_date=schedule_date,
        )
        self.send(NewExecution(execution=execution))
        if run:
            self.run()
        return execution_id

    def send(self, message: ExecutionMessage | WorkerTaskResult, *, run: bool = False) -> None:
        self.inbox.append((message.execution_id, message))
        if run:
            self.run()

    def deliver(self, execution_id: str, event: ExecutorEvent) -> Outcome:
        outcome = handle(
            self.states.get(execution_id), event, flows=self.flow_lookup, now=self.now, settings=self.settings
        )
        self.events += 1
        self.outcomes.append(outcome)
        if outcome.state is None:
            if execution_id in self.states:
                self.purged[execution_id] = self.states.pop(execution_id).execution
        else:
            self.states[execution_id] = outcome.state
        for command in outcome.commands:
            self._route(command)
        return outcome

    def _route(self, command: object) -> None:
        if isinstance(command, SubmitWorkerJob):
            self.jobs.append(command.job)
            self.running_jobs[command.job.task_run_id] = command.job
        elif isinstance(command, EmitExecutionMessage):
            self.inbox.append((command.message.execution_id, command.message))
        elif isinstance(command, EmitLog):
            self.logs.append(command.entry)
        elif isinstance(command, EmitKill):
            self.kills.append(command.kill)
            for run_id, job in list(self.running_jobs.items()):
                if job.execution_id == command.kill.execution_id and (
                    command.kill.task_run_ids is None or run_id in command.kill.task_run_ids
                ):
                    del self.running_jobs[run_id]
                    self.inbox.append((job.execution_id, self._result(job, StateType.KILLED)))
        elif isinstance(command, EmitConcurrencyRequest):
            key = command.request.flow_key
            state, decisions = count(self.counters.get(key), command.request)
            self.counters[key] = state
            for decision in decisions:
                self.inbox.append((decision.execution_id, decision))
        elif isinstance(command, EmitPreconditionRequest):
            key = command.request.trigger_key
            self.precondition_requests.append(command.request)
            stored, started = evaluate_preconditions(self.preconditions.get(key), command.request)
            self.preconditions[key] = stored
            for message in started:
                self.inbox.append((message.execution_id, message))

    def _result(
        self, job: WorkerJob, state: StateType, outputs: dict[str, Any] | None = None
    ) -> WorkerTaskResult:
        return WorkerTaskResult(
            execution_id=job.execution_id,
            task_run_id=job.task_run_id,
            attempt_number=job.attempt_number,
            worker_id="worker-1",
            state=state,
            outputs=outputs,
        )

    def run(self, max_events: int = 10_000) -> None:
        """Deliver messages and let the fake worker answer jobs until nothing moves."""
        for _ in range(max_events):
            if self.inbox:
                execution_id, event = self.inbox.popleft()
                self.deliver(execution_id, event)
                continue
            if self.auto_run and self._work_one():
                continue
            return
        raise AssertionError("the scenario does not settle")

    def _work_one(self) -> bool:
        for run_id, job in list(self.running_jobs.items()):
            key = f"{run_id}#{job.attempt_number}"
            if key in self.started:
                continue
            self.started.add(key)
            behavior = self.behaviors.get(job.task_run.task_id)
            self.inbox.append((job.execution_id, self._result(job, StateType.RUNNING)))
            answer = behavior(job) if behavior is not None else self._default(job)
            if answer is None:
                return True
            del self.running_jobs[run_id]
            state, outputs = answer
            self.inbox.append((job.execution_id, self._result(job, state, outputs)))
            return True
        return False

    def _default(self, job: WorkerJob) -> tuple[StateType, dict[str, Any] | None]:
        if not self.real_tasks:
            return StateType.SUCCESS, None
        return run_for_real(job, self.work_dir or Path("/tmp/kestra-stream-tests"))

    # -- time -----------------------------------------------------------------------------------------
    def advance(self, delta: timedelta) -> None:
        """Move the clock and fire every timer that falls due, in order."""
        target = self.now + delta
        while True:
            due = [
                (timer.due, execution_id, timer.timer_id)
                for execution_id, state in self.states.items()
                for timer in state.timers
                if timer.due <= target
            ]
            if not due:
                break
            when, execution_id, timer_id = min(due)
            self.now = max(self.now, when)
            self.deliver(execution_id, TimerFired(timer_id=timer_id))
            self.run()
        self.now = target
        self.run()

    # -- assertions helpers ---------------------------------------------------------------------------
    def state_of(self, execution_id: str) -> StateType:
        return self.execution(execution_id).state.current

    def runs(self, execution_id: str) -> dict[str, list[Any]]:
        result: dict[str, list[Any]] = {}
        for run in self.execution(execution_id).task_runs():
            result.setdefault(run.task_id, []).append(run)
        return result

    def run_state(self, execution_id: str, task_id: str) -> StateType:
        (run,) = self.runs(execution_id)[task_id]
        return run.state.current

    def task_states(self, execution_id: str) -> dict[str, str]:
        return {
            run.task_id + (f"[{run.value}]" if run.value is not None else ""): run.state.current.value
            for run in self.execution(execution_id).task_runs()
        }

    def order(self, execution_id: str) -> list[str]:
        return [run.task_id for run in self.execution(execution_id).task_runs()]

    def job_for(self, task_id: str) -> WorkerJob:
        return next(job for job in reversed(self.jobs) if job.task_run.task_id == task_id)


@dataclass(frozen=True)
class _Lookup:
    harness: Harness

    def __call__(self, namespace: str, flow_id: str, revision: int | None) -> Flow | None:
        return self.harness.lookup(namespace, flow_id, revision)

    def flows_with_flow_triggers(self) -> list[Flow]:
        return [
            flow
            for flow in self.harness.flows.values()
            if any(isinstance(trigger, FlowTrigger) for trigger in flow.triggers or ())
        ]


_TASK = TypeAdapter(AnyTask)


def run_for_real(job: WorkerJob, work_dir: Path) -> tuple[StateType, dict[str, Any] | None]:
    """Run the job's task with the real runtime on local storage (what a worker does, minus Kafka)."""
    from kestra_stream.expressions import ExpressionEngine
    from kestra_stream.kv import InMemoryKVStore
    from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, TaskRunIdentity, run_task
    from kestra_stream.storage import LocalStorage

    task = _TASK.validate_python(job.task)
    assert isinstance(task, RunnableTask)
    run = job.task_run
    sink = CollectingSink()
    identity = TaskRunIdentity(
        namespace=run.namespace,
        flow_id=run.flow_id,
        execution_id=run.execution_id,
        task_id=run.task_id,
        task_run_id=run.id,
        attempt=job.attempt_number,
        value=run.value,
    )
    with TaskRunContext(
        identity=identity,
        variables=job.variables,
        renderer=ExpressionEngine(),
        storage=LocalStorage(base_path=work_dir / "storage"),
        kv=InMemoryKVStore(),
        log_sink=sink,
        metric_sink=sink,
        tmp_dir=work_dir / "work",
    ) as ctx:
        try:
            outputs = run_task(task, ctx, grace_seconds=1)
        except TaskFailure as failure:
            return StateType.FAILED, failure.outputs or None
        except Exception:
            return StateType.FAILED, None
    return StateType.SUCCESS, outputs or None


def flow(source: str) -> str:
    return source
