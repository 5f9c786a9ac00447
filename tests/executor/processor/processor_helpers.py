"""A scripted handler standing in for the core, and a processor running in a thread."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kestra_stream.executor.core import EmitLog, ExecutorEvent, FlowLookup, Outcome, TimerFired
from kestra_stream.executor.messages import NewExecution, WorkerTaskResult
from kestra_stream.executor.processor import ExecutorProcessor, ProcessorOptions
from kestra_stream.executor.state import ExecutorState, Timer, TimerKind, execution_from_bytes
from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.state import StateType
from kestra_stream.queue import Queue, Record, TopicRef

EXECUTIONS = TopicRef("executions")
RESULTS = TopicRef("worker-task-results")
STATES = TopicRef("execution-states")
LOGS = TopicRef("logs")


def new_execution(execution_id: str | None = None, **variables: object) -> NewExecution:
    return NewExecution(
        execution=Execution(
            id=execution_id or uuid.uuid4().hex[:12],
            namespace="test",
            flow_id="flow",
            flow_revision=1,
            variables=dict(variables) or None,
        )
    )


def result(execution_id: str, state: StateType = StateType.SUCCESS) -> WorkerTaskResult:
    return WorkerTaskResult(execution_id=execution_id, task_run_id="tr", attempt_number=0, state=state)


class ScriptedHandler:
    """NewExecution → RUNNING (+ a log; ``timer`` seconds → a timer; ``big`` bytes → a huge log;
    ``explode`` → raises); a terminal result or a fired timer → that state / SUCCESS."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []  # (event type, had state)

    def __call__(
        self, state: ExecutorState | None, event: ExecutorEvent, *, flows: FlowLookup, now: datetime
    ) -> Outcome:
        self.seen.append((type(event).__name__, state is not None))
        if isinstance(event, NewExecution):
            execution = event.execution
            variables = execution.variables or {}
            if variables.get("explode"):
                raise RuntimeError("boom")
            running = ExecutorState(execution=execution.with_state(StateType.RUNNING, at=now))
            if "timer" in variables:
                due = now + timedelta(seconds=float(variables["timer"]))
                running = replace(running, timers=(Timer(timer_id="t1", due=due, kind=TimerKind.PAUSE),))
            message = "x" * int(variables.get("big", 0)) or f"started {execution.id}"
            entry = LogEntry(namespace="test", flow_id="flow", execution_id=execution.id, message=message)
            return Outcome(state=running, commands=(EmitLog(entry=entry),))
        if state is None:
            return Outcome(state=None, changed=False)
        if isinstance(event, TimerFired):
            done = replace(state, execution=state.execution.with_state(StateType.SUCCESS, at=now), timers=())
            return Outcome(state=done)
        if isinstance(event, WorkerTaskResult) and event.state.is_terminated():
            return Outcome(state=state.with_execution(state.execution.with_state(event.state, at=now)))
        return Outcome(state=state, changed=False)


def no_flows(namespace: str, flow_id: str, revision: int | None) -> None:
    return None


def make_processor(queue: Queue, handler: ScriptedHandler, name: str, group: str) -> ExecutorProcessor:
    return ExecutorProcessor(
        queue=queue,
        handler=handler,
        flows=no_flows,
        options=ProcessorOptions(transactional_id=f"{group}-{name}", group_id=group, poll_timeout=0.05),
        clock=lambda: datetime.now(UTC),
    )


@contextmanager
def running(processor: ExecutorProcessor) -> Iterator[ExecutorProcessor]:
    stop = threading.Event()
    processor.start()
    thread = threading.Thread(target=processor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield processor
    finally:
        stop.set()
        thread.join(30)
        processor.close()


def latest_states(queue: Queue, partitions: int) -> dict[str, StateType | None]:
    states: dict[str, StateType | None] = {}
    for record in queue.read_partitions(STATES, range(partitions)):
        assert record.key is not None
        states[record.key.decode()] = (
            None if record.value is None else execution_from_bytes(record.value).state.current
        )
    return states


def all_records(queue: Queue, topic: TopicRef, partitions: int) -> list[Record]:
    return queue.read_partitions(topic, range(partitions))
