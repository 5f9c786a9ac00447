"""The real engine assembled in one process (executor processor + worker threads on one queue), a
follower of ``execution-states`` and the helpers the end-to-end tests use.

The flows are the catalogue of ``tests/e2e/flows/`` (namespace ``e2e``): one YAML file per flow,
published to the ``flows`` topic when the assembly starts. The same files can be loaded by any
other harness (``catalogue()``), or by ``kestra-stream server local -f tests/e2e/flows``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kestra_stream.config import Config
from kestra_stream.executor.messages import ExecutionMessage, NewExecution
from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.models import Execution, Label, LogEntry, State, StateType, TaskRun, TaskRunAttempt
from kestra_stream.queue import BroadcastReader, Queue, TopicRef
from kestra_stream.server import Server, ServerPlan, ServerSettings

FLOWS_DIR = Path(__file__).resolve().parent / "flows"
NAMESPACE = "e2e"
EXECUTIONS = TopicRef("executions")
STATES = TopicRef("execution-states")
LOGS = TopicRef("logs")
WAIT_SECONDS = 60.0


def catalogue() -> dict[str, str]:
    """Flow id → YAML source of every flow of the e2e catalogue."""
    return {path.stem: path.read_text() for path in sorted(FLOWS_DIR.glob("*.yml"))}


def new_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class _Follower:
    """Latest execution per id (and every state change seen), from ``execution-states``; logs too."""

    states: BroadcastReader
    logs: BroadcastReader
    latest: dict[str, Execution] = field(default_factory=dict)
    seen: dict[str, list[StateType]] = field(default_factory=dict)
    log_entries: list[LogEntry] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            records = self.states.poll(500, 0.05)
            logs = self.logs.poll(500, 0.0)
            if not records and not logs:
                continue
            with self.cond:
                for record in records:
                    if record.key is None or record.value is None:
                        continue
                    execution = execution_from_bytes(record.value)
                    self.latest[execution.id] = execution
                    history = self.seen.setdefault(execution.id, [])
                    if not history or history[-1] is not execution.state.current:
                        history.append(execution.state.current)
                for record in logs:
                    if record.value is not None:
                        self.log_entries.append(LogEntry.from_json(record.value))
                self.cond.notify_all()


class Engine:
    """One assembly: ``Server`` (executor + worker roles) on ``queue`` with the catalogue published."""

    def __init__(self, *, queue: Queue, storage: Path, backend: str, worker_threads: int = 8) -> None:
        self.backend = backend
        self.queue = queue
        self.storage_path = storage
        config = Config().with_overrides({"kestra.storage.local.base-path": str(storage)})
        self.server = Server(
            config=config,
            plan=ServerPlan(flows_path=FLOWS_DIR, management=False, worker_threads=worker_threads),
            queue=queue,
            settings=ServerSettings(heartbeat_interval=0.5, termination_grace_period=2.0),
        )
        self._follower = _Follower(
            states=queue.broadcast_reader(topic=STATES, start="beginning"),
            logs=queue.broadcast_reader(topic=LOGS, start="beginning"),
        )
        self._thread = threading.Thread(target=self._follower.run, name="e2e-follower", daemon=True)

    def start(self) -> None:
        self.server.start()
        self._thread.start()

    def stop(self) -> None:
        self._follower.stop.set()
        self._thread.join(10)
        self._follower.states.close()
        self._follower.logs.close()
        self.server.stop()

    # -- sending ------------------------------------------------------------------------------------

    def send(self, message: ExecutionMessage) -> None:
        producer = self.queue.producer()
        producer.produce(EXECUTIONS, key=message.execution_id.encode(), value=message.to_json())
        producer.flush(10)

    def run(
        self,
        flow_id: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
        execution_id: str | None = None,
    ) -> str:
        """Send a NewExecution of a catalogue flow; its id."""
        execution_id = execution_id or new_id()
        execution = Execution(
            id=execution_id,
            namespace=NAMESPACE,
            flow_id=flow_id,
            flow_revision=1,
            inputs=dict(inputs) if inputs is not None else None,
            labels=tuple(Label(key=k, value=v) for k, v in (labels or {}).items()) or None,
            state=State.of(StateType.CREATED),
        )
        self.send(NewExecution(execution=execution))
        return execution_id

    # -- waiting ------------------------------------------------------------------------------------

    def wait_for(
        self, predicate: Callable[[], Any], *, timeout: float = WAIT_SECONDS, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        with self._follower.cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"[{self.backend}] timed out after {timeout}s waiting for {what}")
                self._follower.cond.wait(min(remaining, 0.2))

    def execution(self, execution_id: str) -> Execution | None:
        with self._follower.cond:
            return self._follower.latest.get(execution_id)

    def wait_state(self, execution_id: str, *states: StateType, timeout: float = WAIT_SECONDS) -> Execution:
        """The execution once its current state is one of ``states`` (default: any terminal state)."""

        def reached() -> Execution | None:
            execution = self._follower.latest.get(execution_id)
            if execution is None:
                return None
            current = execution.state.current
            ok = current in states if states else current.is_terminated()
            return execution if ok else None

        wanted = ", ".join(s.value for s in states) or "a terminal state"
        try:
            result: Execution = self.wait_for(reached, timeout=timeout, what=f"{execution_id} in {wanted}")
        except AssertionError as error:
            last = self.execution(execution_id)
            detail = "never seen" if last is None else f"last {last.state.current.value}: {task_states(last)}"
            raise AssertionError(f"{error}; {detail}") from None
        return result

    def wait_done(self, execution_id: str, timeout: float = WAIT_SECONDS) -> Execution:
        return self.wait_state(execution_id, timeout=timeout)

    def history(self, execution_id: str) -> list[StateType]:
        with self._follower.cond:
            return list(self._follower.seen.get(execution_id, ()))

    def executions_of(self, flow_id: str, *, since: float = 0.0) -> list[Execution]:
        """Every execution of a catalogue flow seen so far, created after ``since`` (epoch seconds)."""
        with self._follower.cond:
            return [
                execution
                for execution in self._follower.latest.values()
                if execution.flow_id == flow_id and execution.state.start_date.timestamp() >= since
            ]

    def logs_of(self, execution_id: str) -> list[LogEntry]:
        with self._follower.cond:
            return [entry for entry in self._follower.log_entries if entry.execution_id == execution_id]


def runs(execution: Execution) -> dict[str, list[TaskRun]]:
    found: dict[str, list[TaskRun]] = {}
    for run in execution.task_runs():
        found.setdefault(run.task_id, []).append(run)
    return found


def run_of(execution: Execution, task_id: str) -> TaskRun:
    (run,) = runs(execution)[task_id]
    return run


def attempts(run: TaskRun) -> tuple[TaskRunAttempt, ...]:
    return run.attempts or ()


def task_states(execution: Execution) -> dict[str, str]:
    return {
        run.task_id + (f"[{run.value}]" if run.value is not None else ""): run.state.current.value
        for run in execution.task_runs()
    }


def labels_of(execution: Execution) -> dict[str, str]:
    return {label.key: label.value for label in execution.labels or ()}


def iter_attempt_workers(execution: Execution) -> Iterator[str]:
    for run in execution.task_runs():
        for attempt in run.attempts or ():
            if attempt.worker_id:
                yield attempt.worker_id
