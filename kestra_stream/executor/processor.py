"""The executor's stream processor: consume ``executions`` + ``worker-task-results``, run the core,
produce commands and changelog records, one transaction per batch (docs/engine.md, docs/queue.md).

The handler is injected (``core.handle`` in production) so the shell is tested on its own.

Flows published a moment before their execution: the flows lookup is followed on another thread, so
a ``NewExecution`` (or a Subflow, ForEachItem… of a running one) may reference a flow (or revision)
it has not read yet. When the lookup implements :class:`FlowCatchUp` (``FlowCache`` does), every
lookup of the core that misses first catches the lookup up to the flows topic's current end (bounded
by ``ProcessorOptions.flow_catch_up_timeout``); only then does the core fail it ("Unable to find
flow"). Known flows never wait: the check is one dictionary lookup. The batch waits while a miss is caught
up (usually a few milliseconds): deferring the event instead would need the deferral itself to be
durable (the record's offset commits with the batch), which the changelog has no place for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import structlog

from kestra_stream.executor import _metrics as metrics
from kestra_stream.executor._codec import (
    EXECUTIONS,
    RESULTS,
    STATES,
    UnroutableCommandError,
    changelog_record,
    decode_event,
    encode_command,
)
from kestra_stream.executor._failure import failed_outcome
from kestra_stream.executor._store import StateStore
from kestra_stream.executor.core import ExecutorEvent, FlowLookup, Outcome, TimerFired, WorkerDied
from kestra_stream.executor.messages import NewExecution, WorkerTaskResult
from kestra_stream.executor.state import ExecutorState
from kestra_stream.flows.model import Flow
from kestra_stream.models.state import StateType
from kestra_stream.queue import (
    Outgoing,
    Partitions,
    Queue,
    Record,
    TransactionAbortedError,
    TransactionalConsumer,
)

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


class Handler(Protocol):
    def __call__(
        self, state: ExecutorState | None, event: ExecutorEvent, *, flows: FlowLookup, now: datetime
    ) -> Outcome: ...


@runtime_checkable
class FlowCatchUp(Protocol):
    def await_flow(self, namespace: str, flow_id: str, revision: int | None, timeout: float) -> bool:
        """Make sure every flow published so far is known (at once when this one is); whether it is."""
        ...


class _CatchingUp:
    """The core's flows lookup: a miss first catches the flows topic up to its current end."""

    def __init__(self, flows: FlowLookup, catch_up: FlowCatchUp, timeout: float) -> None:
        self._flows = flows
        self._catch_up = catch_up
        self._timeout = timeout
        source = getattr(flows, "flows_with_flow_triggers", None)
        if source is not None:  # FlowTriggerSource, looked up by the core with getattr
            self.flows_with_flow_triggers = source

    def __call__(self, namespace: str, flow_id: str, revision: int | None) -> Flow | None:
        try:
            self._catch_up.await_flow(namespace, flow_id, revision, self._timeout)
        except Exception:  # the lookup answers what it has: the core decides
            log.exception("executor.flow_catch_up_failed", namespace=namespace, flow_id=flow_id)
        return self._flows(namespace, flow_id, revision)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class ProcessorOptions:
    transactional_id: str
    group_id: str = "executor"
    batch_size: int = 500
    poll_timeout: float = 0.05
    """Longest idle wait for input; timers due sooner shorten it."""
    flow_catch_up_timeout: float = 10.0
    """Longest wait for the flows lookup to catch up with an unknown flow of a new execution."""
    static_membership: bool = False
    """Join the group as a static member named by ``transactional_id`` (stable across restarts)."""


@dataclass(kw_only=True)
class _Batch:
    """The copy-on-write view of one batch: published to the store only once committed."""

    view: dict[str, tuple[int, ExecutorState | None]] = field(default_factory=dict)
    outputs: list[Outgoing] = field(default_factory=list)
    fired: dict[str, set[str]] = field(default_factory=dict)
    started: list[ExecutorState] = field(default_factory=list)
    ended: list[ExecutorState] = field(default_factory=list)


class ExecutorProcessor:
    def __init__(
        self,
        *,
        queue: Queue,
        handler: Handler,
        flows: FlowLookup,
        options: ProcessorOptions,
        clock: Clock = utc_now,
    ) -> None:
        self._queue = queue
        self._handler = handler
        self._flows: FlowLookup = (
            _CatchingUp(flows, flows, options.flow_catch_up_timeout)
            if isinstance(flows, FlowCatchUp)
            else flows
        )
        self._options = options
        self._clock = clock
        self._store = StateStore()
        self._fired: dict[str, set[str]] = {}
        self._injected: list[tuple[str, ExecutorEvent]] = []
        self._injected_lock = threading.Lock()
        self._dead_workers: set[str] = set()
        self._consumer: TransactionalConsumer | None = None
        self.batches = 0

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self._consumer = self._queue.transactional_consumer(
            topics=[EXECUTIONS, RESULTS],
            group_id=self._options.group_id,
            transactional_id=self._options.transactional_id,
            on_assign=self._assigned,
            on_revoke=self._revoked,
            group_instance_id=self._options.transactional_id if self._options.static_membership else None,
        )

    def run(self, stop: threading.Event) -> None:
        if self._consumer is None:
            self.start()
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # the loop outlives any single batch: read it again
                log.exception("executor.batch_failed")
                if self._consumer is not None:
                    self._consumer.abort()
                time.sleep(0.5)

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    @property
    def store(self) -> StateStore:
        return self._store

    def assignment(self) -> Partitions:
        return self._consumer.assignment() if self._consumer is not None else frozenset()

    def inject(self, events: Iterable[tuple[str, ExecutorEvent]]) -> None:
        """Queue events for owned executions (liveness); applied in the next batch. Thread-safe."""
        with self._injected_lock:
            self._injected.extend(events)

    # -- rebalance --------------------------------------------------------------------------------

    def _assigned(self, partitions: Partitions) -> None:
        started = time.monotonic()
        restored = self._store.restore(self._queue.read_partitions(STATES, partitions))
        metrics.STORE_SIZE.set(len(self._store))
        log.info(
            "executor.partitions_assigned",
            partitions=sorted(partitions),
            restored=restored,
            seconds=round(time.monotonic() - started, 3),
        )

    def _revoked(self, partitions: Partitions) -> None:
        dropped = self._store.drop_partitions(partitions)
        metrics.STORE_SIZE.set(len(self._store))
        log.info("executor.partitions_revoked", partitions=sorted(partitions), dropped=dropped)

    # -- one batch --------------------------------------------------------------------------------

    def step(self) -> int:
        """Poll, handle and commit one batch; the number of events handled."""
        consumer = self._consumer
        assert consumer is not None, "start() first"
        records = consumer.poll(self._options.batch_size, self._poll_timeout())
        started = time.perf_counter()
        now = self._clock()
        batch = _Batch()
        for record in records:
            self._handle_record(batch, record, now)
        due = self._store.due(now)
        for execution_id in due:
            self._fire_timers(batch, execution_id, now)
        with self._injected_lock:
            injected, self._injected = self._injected, []
        injected.extend(self._worker_died_events())
        for execution_id, event in injected:
            partition = self._store.partition_of(execution_id)
            if partition is not None:
                self._apply(batch, execution_id, partition, event, now)
        handled = len(records) + len(due) + len(injected)
        if not records and not batch.outputs:
            return handled
        try:
            consumer.commit(batch.outputs)
        except TransactionAbortedError as error:
            metrics.ABORTED.inc()
            log.warning("executor.batch_aborted", error=str(error), records=len(records))
            for execution_id in due:
                self._store.reschedule(execution_id)
            self.inject(injected)
            return 0
        self._publish(batch)
        self.batches += 1
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        wall = time.time()
        for record in records:
            metrics.EVENT_LAG.observe(max(0.0, wall - record.timestamp))
        return handled

    def _poll_timeout(self) -> float:
        timeout = self._options.poll_timeout
        if self._injected or self._dead_workers:
            return 0.0
        next_due = self._store.next_due()
        if next_due is not None:
            timeout = max(0.0, min(timeout, next_due - self._clock().timestamp()))
        return timeout

    def _handle_record(self, batch: _Batch, record: Record, now: datetime) -> None:
        execution_id = record.key.decode(errors="replace") if record.key is not None else None
        try:
            event = decode_event(record)
        except Exception as error:
            metrics.POISON.inc()
            log.error(
                "executor.poison_record",
                topic=str(record.topic),
                partition=record.partition,
                offset=record.offset,
                execution_id=execution_id,
                error=str(error)[:500],
            )
            state = self._current(batch, execution_id) if execution_id else None
            if execution_id and state is not None:
                reason = f"undecodable message on {record.topic} at offset {record.offset}: {error}"
                self._record_outcome(
                    batch, execution_id, record.partition, state, self._fail(state, reason, now, "poison")
                )
            return
        if isinstance(event, WorkerTaskResult):
            metrics.WORKER_RESULTS.inc()
            if event.state.is_terminated():
                metrics.TASKRUNS_ENDED.labels(event.state.value).inc()
        target = execution_id or getattr(event, "execution_id", None)
        if target is None:
            log.error("executor.unkeyed_record", topic=str(record.topic), offset=record.offset)
            return
        self._apply(batch, target, record.partition, event, now)

    def _fire_timers(self, batch: _Batch, execution_id: str, now: datetime) -> None:
        partition = self._store.partition_of(execution_id)
        state = self._current(batch, execution_id)
        if partition is None or state is None:
            return
        already = self._fired.get(execution_id, set())
        for timer in state.due_timers(now):
            if timer.timer_id in already:
                continue
            batch.fired.setdefault(execution_id, set()).add(timer.timer_id)
            self._apply(batch, execution_id, partition, TimerFired(timer_id=timer.timer_id), now)

    def _current(self, batch: _Batch, execution_id: str) -> ExecutorState | None:
        if execution_id in batch.view:
            return batch.view[execution_id][1]
        return self._store.get(execution_id)

    def _apply(
        self, batch: _Batch, execution_id: str, partition: int, event: ExecutorEvent, now: datetime
    ) -> None:
        state = self._current(batch, execution_id)
        try:
            outcome = self._handler(state, event, flows=self._flows, now=now)
        except Exception as error:
            log.exception("executor.core_failed", execution_id=execution_id, event_type=type(event).__name__)
            if state is None and isinstance(event, NewExecution):
                state = ExecutorState(execution=event.execution)
            if state is None:
                return
            outcome = self._fail(
                state, f"the executor failed on {type(event).__name__}: {error}", now, "core"
            )
        self._record_outcome(batch, execution_id, partition, state, outcome)

    def _record_outcome(
        self, batch: _Batch, execution_id: str, partition: int, before: ExecutorState | None, outcome: Outcome
    ) -> None:
        outputs = self._encode(execution_id, outcome)
        limit = self._queue.message_limit
        oversized = next((out for out in outputs if out.size > limit), None)
        if oversized is not None:
            reason = (
                f"a message for `{oversized.topic}` of {oversized.size} bytes exceeds "
                f"kestra.kafka.message-protection.limit ({limit} bytes)"
            )
            log.error(
                "executor.message_too_large",
                execution_id=execution_id,
                topic=str(oversized.topic),
                size=oversized.size,
            )
            base = before or outcome.state
            if base is None:
                return
            outcome = self._fail(base, reason, self._clock(), "message_too_large")
            outputs = [out for out in self._encode(execution_id, outcome) if out.size <= limit]
        batch.outputs.extend(outputs)
        if outcome.changed:
            batch.view[execution_id] = (partition, outcome.state)
            after = outcome.state
            if before is None and after is not None:
                batch.started.append(after)
            if (
                after is not None
                and after.execution.state.current.is_terminated()
                and (before is None or not before.execution.state.current.is_terminated())
            ):
                batch.ended.append(after)

    def _encode(self, execution_id: str, outcome: Outcome) -> list[Outgoing]:
        outputs: list[Outgoing] = []
        for command in outcome.commands:
            try:
                outputs.append(encode_command(command))
            except UnroutableCommandError as error:
                log.warning("executor.command_dropped", execution_id=execution_id, reason=str(error))
        if outcome.changed:
            outputs.append(changelog_record(execution_id, outcome.state))
        return outputs

    def _fail(self, state: ExecutorState, reason: str, now: datetime, kind: str) -> Outcome:
        metrics.FAILED_BY_SHELL.labels(kind).inc()
        log.error("executor.execution_failed", execution_id=state.execution_id, reason=reason)
        return failed_outcome(state, reason, now=now, flows=self._flows)

    def _publish(self, batch: _Batch) -> None:
        for execution_id, (partition, state) in batch.view.items():
            self._store.put(execution_id, partition, state)
            if state is None:
                self._fired.pop(execution_id, None)
            else:
                live = {timer.timer_id for timer in state.timers}
                kept = (self._fired.get(execution_id, set()) | batch.fired.get(execution_id, set())) & live
                if kept:
                    self._fired[execution_id] = kept
                else:
                    self._fired.pop(execution_id, None)
        for state in batch.started:
            execution = state.execution
            metrics.EXECUTIONS_STARTED.labels(execution.namespace, execution.flow_id).inc()
        for state in batch.ended:
            execution = state.execution
            metrics.EXECUTIONS_ENDED.labels(
                execution.namespace, execution.flow_id, execution.state.current.value
            ).inc()
        metrics.STORE_SIZE.set(len(self._store))

    # -- liveness ---------------------------------------------------------------------------------

    def running_on(self, worker_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(execution id, worker id) for every owned execution with a RUNNING attempt on those workers."""
        wanted = set(worker_ids)
        found: list[tuple[str, str]] = []
        for execution_id, state in self._store.states():
            for run in state.execution.task_runs():
                if run.state.current is not StateType.RUNNING or not run.attempts:
                    continue
                worker = run.attempts[-1].worker_id
                if worker in wanted:
                    found.append((execution_id, worker))
                    break
        return found

    def report_dead_workers(self, worker_ids: Iterable[str]) -> None:
        """Thread-safe: the next batch sends ``WorkerDied`` to owned executions running on them."""
        with self._injected_lock:
            self._dead_workers.update(worker_ids)

    def _worker_died_events(self) -> list[tuple[str, ExecutorEvent]]:
        with self._injected_lock:
            dead, self._dead_workers = self._dead_workers, set()
        if not dead:
            return []
        pairs = self.running_on(sorted(dead))
        metrics.RESUBMITS.inc(len(pairs))
        if pairs:
            log.warning("executor.worker_died", workers=sorted(dead), executions=len(pairs))
        return [(execution_id, WorkerDied(worker_id=worker)) for execution_id, worker in pairs]
