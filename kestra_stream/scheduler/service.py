"""The scheduler shell: owns the triggers of its partitions, ticks them, writes in one transaction.

Ownership: a consumer group (``scheduler``) over ``trigger-commands`` and ``trigger-results`` (both
keyed by trigger uid, same partition count as ``triggers``, range assignor): an instance owns the
triggers whose uid hashes to its partitions. On assignment it restores those triggers' records from
the compacted ``triggers`` topic (to the end) and applies ``recoverMissedSchedules``; on revocation
it forgets them and stops their realtime listeners.

Each loop: follow ``flows`` and ``execution-states`` (terminated executions release their trigger's
lock), poll commands and results, and once per tick evaluate every owned trigger. Everything a loop
produces — ``NewExecution`` on ``executions``, the new records on ``triggers``, trigger logs and the
consumed offsets — is committed in **one Kafka transaction**, and the in-memory records are updated
only after it committed. Execution ids are derived from the trigger and the date, so re-evaluating a
date after a crash or a rebalance names the same execution, which the executor ignores.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime

import orjson
import structlog

from kestra_stream.executor.messages import NewExecution
from kestra_stream.flows import PluginDefault
from kestra_stream.models.dates import utc_now
from kestra_stream.models.state import StateType
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.queue import (
    BroadcastStart,
    Outgoing,
    Partitions,
    Queue,
    QueueError,
    Record,
    TopicRef,
    TransactionAbortedError,
    TransactionalConsumer,
    partition_for,
    worker_jobs_topic,
)
from kestra_stream.scheduler.core import (
    SchedulerSettings,
    Step,
    apply_command,
    apply_trigger_result,
    fire_due,
    is_scheduled,
    new_record,
    polling_due,
    recover_missed,
    release_if_ended,
    release_stale_evaluation,
    sync_definition,
)
from kestra_stream.scheduler.flows import FlowTrigger, SchedulerFlows
from kestra_stream.scheduler.messages import (
    TRIGGER_COMMANDS,
    TRIGGER_RESULTS,
    TRIGGERS,
    TriggerCommand,
    WorkerTriggerJob,
    WorkerTriggerResult,
)
from kestra_stream.scheduler.plugins import is_polling, is_realtime, run_trigger_job
from kestra_stream.scheduler.realtime import RealtimeRunner
from kestra_stream.storage import Storage

log = structlog.get_logger(__name__)

EXECUTIONS = TopicRef("executions")
EXECUTION_STATES = TopicRef("execution-states")
LOGS = TopicRef("logs")
WORKER_JOBS = worker_jobs_topic(None)
GROUP_ID = "scheduler"
_ENDED_REMEMBERED = 100_000


@dataclass(frozen=True, kw_only=True)
class SchedulerOptions:
    instance_id: str
    tick_interval: float = 1.0
    """Triggers are evaluated at every multiple of this many seconds of the clock."""
    poll_timeout: float = 0.05
    evaluation_threads: int = 4
    """Polling triggers evaluated in this process when :attr:`polling_on_workers` is off."""
    polling_on_workers: bool = False
    """Send polling evaluations (``WorkerTriggerJob``) to ``worker-jobs`` in the loop's transaction,
    for the workers (the servers do); off: this process's own pool evaluates them (tests, no worker)."""
    executions_start: BroadcastStart = "beginning"
    """Where to start following ``execution-states`` (to see executions that ended while down)."""
    realtime_batch: int = 500
    settings: SchedulerSettings = field(default_factory=SchedulerSettings)
    static_membership: bool = False
    """Join the group as a static member named by the ``transactional.id`` (the server's scheduler
    identity is stable across restarts: a restarted scheduler takes its partitions back at once)."""


class Scheduler:
    """``run()`` blocks until :meth:`stop`; the server runs it in a thread."""

    def __init__(
        self,
        *,
        queue: Queue,
        options: SchedulerOptions,
        storage: Storage | None = None,
        defaults: Iterable[PluginDefault] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._queue = queue
        self._options = options
        self._settings = options.settings
        self._storage = storage
        self._clock = clock
        self._producer = queue.producer()
        self._flows = SchedulerFlows(queue=queue, defaults=defaults)
        self._stop = threading.Event()
        self._records: dict[str, TriggerRecord] = {}
        self._owned: Partitions = frozenset()
        self._to_recover: set[str] = set()
        self._ended: OrderedDict[str, StateType | None] = OrderedDict()
        self._runners: dict[str, tuple[str, RealtimeRunner]] = {}
        self._pool = ThreadPoolExecutor(max(1, options.evaluation_threads), thread_name_prefix="trigger-eval")
        self._partitions = queue.partitions(TRIGGERS)
        self.ready = threading.Event()
        """Set once the first assignment was restored (tests wait on it)."""
        self.ticks = 0
        """Ticks committed so far."""

    # -- introspection ----------------------------------------------------------------------------

    @property
    def owned(self) -> Partitions:
        return self._owned

    def records(self) -> dict[str, TriggerRecord]:
        return dict(self._records)

    def seen_ended(self, execution_id: str) -> bool:
        return execution_id in self._ended

    def partition_of(self, uid: str) -> int:
        return partition_for(uid.encode(), self._partitions)

    # -- lifecycle ---------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        self._check_partitions()
        self._flows.catch_up()
        transactional_id = f"scheduler-{self._options.instance_id}"
        consumer = self._queue.transactional_consumer(
            topics=[TRIGGER_COMMANDS, TRIGGER_RESULTS],
            group_id=GROUP_ID,
            transactional_id=transactional_id,
            on_assign=self._assigned,
            on_revoke=self._revoked,
            group_instance_id=transactional_id if self._options.static_membership else None,
        )
        executions = self._queue.broadcast_reader(
            topic=EXECUTION_STATES, start=self._options.executions_start
        )
        log.info("scheduler.started", instance_id=self._options.instance_id)
        next_tick = 0.0
        try:
            while not (stop.is_set() or self._stop.is_set()):
                self._flows.update(0.0)
                self._follow_executions(executions)
                records = consumer.poll(500, self._options.poll_timeout)
                now = self._clock()
                tick = now.timestamp() >= next_tick
                if tick:
                    interval = self._options.tick_interval
                    next_tick = (math.floor(now.timestamp() / interval) + 1) * interval
                if records or tick:
                    self._process(consumer, records, now, tick=tick)
        finally:
            self._shutdown(consumer, executions)

    def _shutdown(self, consumer: TransactionalConsumer, executions: object) -> None:
        for _, runner in list(self._runners.values()):
            runner.stop()
        self._runners.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
        consumer.close()
        executions.close()  # type: ignore[attr-defined]
        self._flows.close()
        self._producer.flush(10)
        log.info("scheduler.stopped", instance_id=self._options.instance_id)

    def _check_partitions(self) -> None:
        counts = {
            str(topic): self._queue.partitions(topic)
            for topic in (TRIGGERS, TRIGGER_COMMANDS, TRIGGER_RESULTS)
        }
        if len(set(counts.values())) != 1:
            raise QueueError(
                f"triggers, trigger-commands and trigger-results need one partition count: {counts}"
            )

    # -- ownership ---------------------------------------------------------------------------------

    def _assigned(self, partitions: Partitions) -> None:
        restored = 0
        for record in self._queue.read_partitions(TRIGGERS, partitions):
            if record.key is None:
                continue
            uid = record.key.decode()
            if record.value is None:
                self._records.pop(uid, None)
                continue
            try:
                self._records[uid] = TriggerRecord.from_json(record.value)
            except Exception as error:
                log.error("scheduler.undecodable_trigger", uid=uid, error=str(error))
                continue
            self._to_recover.add(uid)
            restored += 1
        self._owned = self._owned | partitions
        self.ready.set()
        log.info("scheduler.assigned", partitions=sorted(partitions), restored=restored)

    def _revoked(self, partitions: Partitions) -> None:
        self._owned = self._owned - partitions
        for uid in [uid for uid in self._records if self.partition_of(uid) in partitions]:
            self._records.pop(uid, None)
            self._to_recover.discard(uid)
        for uid in [uid for uid in self._runners if self.partition_of(uid) in partitions]:
            self._runners.pop(uid)[1].stop()
        log.info("scheduler.revoked", partitions=sorted(partitions))

    # -- executions that ended ---------------------------------------------------------------------

    def _follow_executions(self, reader: object) -> None:
        locks = None
        for record in reader.poll(2000, 0.0):  # type: ignore[attr-defined]
            if record.key is None:
                continue
            if record.value is None:
                locks = locks if locks is not None else {r.execution_id for r in self._records.values()}
                execution_id = record.key.decode()
                if execution_id in locks:
                    self._remember_ended(execution_id, None)
                continue
            try:
                execution = orjson.loads(record.value)["execution"]
                if not execution.get("trigger"):
                    continue
                state = StateType(execution["state"]["current"])
            except Exception:
                continue
            if state.is_terminated():
                self._remember_ended(str(execution["id"]), state)

    def _remember_ended(self, execution_id: str, state: StateType | None) -> None:
        self._ended[execution_id] = state
        self._ended.move_to_end(execution_id)
        while len(self._ended) > _ENDED_REMEMBERED:
            self._ended.popitem(last=False)

    # -- one loop ----------------------------------------------------------------------------------

    def _process(
        self, consumer: TransactionalConsumer, records: Sequence[Record], now: datetime, *, tick: bool
    ) -> None:
        batch = _Batch(self._records, jobs_topic=WORKER_JOBS if self._options.polling_on_workers else None)
        for record in records:
            self._apply_record(batch, record, now)
        if tick:
            self._tick(batch, now)
        try:
            consumer.commit(batch.outputs)
        except TransactionAbortedError as error:
            log.warning("scheduler.transaction_aborted", error=str(error))
            return
        for uid, value in batch.pending.items():
            if value is None:
                self._records.pop(uid, None)
            else:
                self._records[uid] = value
        if tick:
            self.ticks += 1
        for job in batch.jobs:
            self._pool.submit(self._evaluate, job)

    def _apply_record(self, batch: _Batch, record: Record, now: datetime) -> None:
        if record.value is None or record.key is None:
            return
        uid = record.key.decode()
        entry = self._flows.get(uid)
        try:
            if record.topic.key == TRIGGER_COMMANDS.key:
                command = TriggerCommand.from_json(record.value)
                if entry is None:
                    # a command right after the flow was saved: the flows view may lag behind
                    self._flows.catch_up(5.0)
                    entry = self._flows.get(uid)
                if entry is None:
                    log.warning("scheduler.command_for_unknown_trigger", uid=uid, command=command.command)
                    return
                batch.apply(uid, apply_command(entry.flow, entry.trigger, batch.current(uid), command, now))
            else:
                result = WorkerTriggerResult.from_json(record.value)
                current = batch.current(uid)
                if entry is None or current is None:
                    return
                step = apply_trigger_result(entry.flow, entry.trigger, current, result, now, self._settings)
                batch.apply(uid, step)
        except Exception:
            log.exception("scheduler.record_failed", uid=uid, topic=str(record.topic), offset=record.offset)

    def _tick(self, batch: _Batch, now: datetime) -> None:
        seen: set[str] = set()
        for entry in self._flows.triggers():
            if self.partition_of(entry.uid) not in self._owned:
                continue
            seen.add(entry.uid)
            try:
                self._tick_one(batch, entry, now)
            except Exception:
                log.exception("scheduler.trigger_failed", uid=entry.uid)
        for uid, record in list(self._records.items()):
            if uid in seen or self.partition_of(uid) not in self._owned:
                continue
            if self._flows.is_gone(record.tenant_id, record.namespace, record.flow_id, record.trigger_id):
                batch.delete(uid)
        for uid in [uid for uid in self._runners if uid not in seen]:
            self._runners.pop(uid)[1].stop()

    def _tick_one(self, batch: _Batch, entry: FlowTrigger, now: datetime) -> None:
        flow, trigger, uid = entry.flow, entry.trigger, entry.uid
        if not (is_scheduled(trigger) or is_polling(trigger) or is_realtime(trigger)):
            return
        stored = batch.current(uid)
        record = stored if stored is not None else new_record(flow, trigger, now)
        record = release_if_ended(record, self._ended, now)
        record = release_stale_evaluation(record, now, self._settings.polling_evaluation_timeout)
        record = sync_definition(record, trigger)
        if uid in self._to_recover:
            self._to_recover.discard(uid)
            record = recover_missed(record, trigger, now, self._settings.recover_missed_schedules)
        if is_scheduled(trigger):
            step = fire_due(flow, trigger, record, now, self._settings)  # type: ignore[arg-type]
        elif is_polling(trigger):
            step = polling_due(flow, trigger, record, now)
        else:
            self._ensure_runner(entry, record)
            step = Step.unchanged(record)
        if record != stored and not step.changed:
            step = replace(step, changed=True)
        batch.apply(uid, step)

    def _ensure_runner(self, entry: FlowTrigger, record: TriggerRecord) -> None:
        definition = entry.trigger.model_dump_json(by_alias=True, exclude_none=True)
        active = not (entry.flow.disabled or entry.trigger.disabled or record.disabled)
        current = self._runners.get(entry.uid)
        if current is not None and (current[0] != definition or not active):
            self._runners.pop(entry.uid)[1].stop()
            current = None
        if current is None and active:
            runner = RealtimeRunner(
                flow=entry.flow,
                trigger=entry.trigger,
                uid=entry.uid,
                producer=self._producer,
                settings=self._settings,
                clock=self._clock,
                storage=self._storage,
                batch=self._options.realtime_batch,
            )
            self._runners[entry.uid] = (definition, runner)
            runner.start()

    def _evaluate(self, job: WorkerTriggerJob) -> None:
        result = run_trigger_job(
            job, engine=self._settings.engine, storage=self._storage, worker_id=self._options.instance_id
        )
        self._producer.produce(TRIGGER_RESULTS, key=job.uid.encode(), value=result.to_json())


class _Batch:
    """Copy-on-write view of the records for one transaction, and what it produces."""

    def current(self, uid: str) -> TriggerRecord | None:
        if uid in self.pending:
            return self.pending[uid]
        return self._records.get(uid)

    def __init__(self, records: dict[str, TriggerRecord], *, jobs_topic: TopicRef | None = None) -> None:
        self._records = records
        self._jobs_topic = jobs_topic
        self.pending: dict[str, TriggerRecord | None] = {}
        self.outputs: list[Outgoing] = []
        self.jobs: list[WorkerTriggerJob] = []
        """Evaluations for this process's pool (none when they go to the workers)."""

    def apply(self, uid: str, step: Step) -> None:
        if step.changed:
            self.pending[uid] = step.record
            self.outputs.append(Outgoing(TRIGGERS, uid.encode(), step.record.to_json()))
        for execution in step.executions:
            value = NewExecution(execution=execution).to_json()
            self.outputs.append(Outgoing(EXECUTIONS, execution.id.encode(), value))
        for entry in step.logs:
            self.outputs.append(Outgoing(LOGS, None, entry.to_json()))
        if self._jobs_topic is None:
            self.jobs.extend(step.jobs)
        else:  # committed with the record that holds the evaluation lock
            for job in step.jobs:
                self.outputs.append(Outgoing(self._jobs_topic, job.uid.encode(), job.to_json()))

    def delete(self, uid: str) -> None:
        self.pending[uid] = None
        self.outputs.append(Outgoing(TRIGGERS, uid.encode(), None))


def run_in_thread(scheduler: Scheduler) -> threading.Thread:
    thread = threading.Thread(target=scheduler.run, name="scheduler", daemon=True)
    thread.start()
    return thread


def wait_ready(scheduler: Scheduler, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if scheduler.ready.wait(0.1):
            return True
    return False
