"""The worker: runs the runnable task runs of one worker group (docs/engine.md, docs/queue.md).

One consumer thread polls ``worker-jobs`` (a consumer group per worker group) and feeds a bounded
pool; consumption pauses while every thread is busy. For each job: a RUNNING result, the task run
through ``run_task`` (timeout, cancellation), the terminal result; the job's offset is acknowledged
only once that result is delivered (at-least-once). Kill notices are read by every worker.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

import kestra_stream.executor.core._foreach_item_jobs  # noqa: F401  (registers ForEachItem's split/merge job types)
from kestra_stream.executor.messages import ExecutionKilled, WorkerJob, WorkerTaskResult
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.models.state import StateType
from kestra_stream.plugins.base import RunnableTask
from kestra_stream.plugins.context import KVStore
from kestra_stream.plugins.registry import registry
from kestra_stream.queue import (
    GroupConsumer,
    MessageTooLargeError,
    Queue,
    Record,
    TopicRef,
    worker_jobs_topic,
)
from kestra_stream.runtime import (
    CancelToken,
    TaskFailure,
    TaskKilledError,
    TaskRunContext,
    TaskRunIdentity,
    run_task,
)
from kestra_stream.runtime.control import ControlPlane
from kestra_stream.scheduler.messages import TRIGGER_RESULTS, WorkerTriggerJob
from kestra_stream.scheduler.plugins import run_trigger_job
from kestra_stream.storage import Storage
from kestra_stream.worker import _metrics as metrics
from kestra_stream.worker._sinks import QueueSink
from kestra_stream.worker._task_cache import TaskOutputCache
from kestra_stream.worker._working_directory import WorkingDirectoryRunner, is_working_directory

log = structlog.get_logger(__name__)


def _trigger_job(value: bytes | None) -> WorkerTriggerJob | None:
    """A ``type: trigger`` job (polling trigger evaluation), else None."""
    try:
        job: WorkerTriggerJob = WorkerTriggerJob.from_json(value or b"")
    except Exception:
        return None
    return job


RESULTS = TopicRef("worker-task-results")
KILLS = TopicRef("execution-kills")
_KILL_LOOKBACK_SECONDS = 60.0
_KILLED_REMEMBERED = 10_000


def default_threads() -> int:
    """Kestra's default worker pool: 2 * the available cores (0.21 code; the 1.x docs say 8 *)."""
    return 2 * (os.cpu_count() or 1)


@dataclass(frozen=True, kw_only=True)
class WorkerOptions:
    worker_id: str
    worker_group: str | None = None
    threads: int = 0
    """0: :func:`default_threads`."""
    grace_period: float = 300.0
    """On shutdown, how long running tasks may finish before they are cancelled and handed back."""
    poll_timeout: float = 0.05
    pause_after: float = 5.0
    """How long every thread may stay busy before the consumer itself is paused. Until then the loop
    just stops polling (the records stay prefetched); the pause then keeps the group served."""
    tmp_dir: Path | None = None
    group_instance_id: str | None = None
    """The stable name of this worker process in the ``worker-jobs`` group (static membership):
    restarted under it, the worker gets its partitions back at once, without a rebalance."""

    @property
    def pool_size(self) -> int:
        return self.threads or default_threads()

    @property
    def group_label(self) -> str:
        return self.worker_group or "default"


@dataclass(eq=False)
class _Running:
    job: WorkerJob
    token: CancelToken


class Worker:
    def __init__(
        self,
        *,
        queue: Queue,
        storage: Storage,
        kv: KVStore,
        options: WorkerOptions,
        renderer: ExpressionEngine | None = None,
        control: ControlPlane | None = None,
    ) -> None:
        self._queue = queue
        self._control = control
        self._producer = queue.producer()
        self._storage = storage
        self._kv = kv
        self._options = options
        self._renderer = renderer or ExpressionEngine()
        self._sink = QueueSink(producer=self._producer)
        self._pool = ThreadPoolExecutor(options.pool_size, thread_name_prefix=f"worker-{options.group_label}")
        self._lock = threading.Lock()
        self._busy = 0
        self._running: dict[str, _Running] = {}
        self._killed: OrderedDict[str, frozenset[str] | None] = OrderedDict()
        self._abandon = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._consumer: GroupConsumer | None = None
        self._paused = False
        self._consumer_pauses = 0
        metrics.THREADS.labels(options.group_label).set(options.pool_size)

    @property
    def options(self) -> WorkerOptions:
        return self._options

    def busy(self) -> int:
        with self._lock:
            return self._busy

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def consumer_pauses(self) -> int:
        """How many times the consumer itself was paused (a pool full for longer than ``pause_after``)."""
        return self._consumer_pauses

    # -- main loop ----------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop``; then finish (or hand back) the running jobs."""
        group = self._options.worker_group
        self._consumer = consumer = self._queue.group_consumer(
            topic=worker_jobs_topic(group),
            group_id="worker" if group is None else f"worker-{group}",
            group_instance_id=self._options.group_instance_id,
        )
        kills = self._queue.broadcast_reader(topic=KILLS, start=time.time() - _KILL_LOOKBACK_SECONDS)
        log.info("worker.started", worker_id=self._options.worker_id, threads=self._options.pool_size)
        full_since: float | None = None
        consumer_paused = False
        try:
            while not stop.is_set():
                self._read_kills(kills)
                free = self._options.pool_size - self.busy()
                if free <= 0:
                    # Hold consumption without pausing the consumer at first: on Kafka a pause purges
                    # the prefetched records and the resumed fetch comes ~1 s later, which capped a
                    # backlog at one pool's worth of jobs per second (docs/benchmarks.md).
                    now = time.monotonic()
                    full_since = now if full_since is None else full_since
                    self._paused = True
                    if not consumer_paused and now - full_since >= self._options.pause_after:
                        consumer.pause()
                        consumer_paused = True
                        self._consumer_pauses += 1
                    if consumer_paused:
                        consumer.poll(1, 0.01)  # keeps the group membership alive, returns nothing
                    with self._idle:
                        self._idle.wait(self._options.poll_timeout)
                    continue
                full_since = None
                self._paused = False
                if consumer_paused:
                    consumer.resume()
                    consumer_paused = False
                for record in consumer.poll(free, self._options.poll_timeout):
                    self._submit(record)
        finally:
            self._shutdown(consumer)
            kills.close()

    def _submit(self, record: Record) -> None:
        with self._lock:
            self._busy += 1
        metrics.PENDING.labels(self._options.group_label).inc()
        self._pool.submit(self._run_record, record)

    def _shutdown(self, consumer: GroupConsumer) -> None:
        consumer.pause()
        deadline = time.monotonic() + self._options.grace_period
        with self._idle:
            while self._busy and time.monotonic() < deadline:
                self._idle.wait(min(0.1, max(0.0, deadline - time.monotonic())))
            unfinished = list(self._running.values())
        if unfinished:
            log.warning("worker.handing_back", jobs=[entry.job.task_run_id for entry in unfinished])
            self._abandon.set()
            for entry in unfinished:
                entry.token.cancel("worker stopping")
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._producer.flush(10)
        consumer.close()
        log.info("worker.stopped", worker_id=self._options.worker_id, handed_back=len(unfinished))

    # -- kills ----------------------------------------------------------------------------------------

    def _read_kills(self, reader: Any) -> None:
        for record in reader.poll(1000, 0.0):
            if record.value is None:
                continue
            try:
                kill = ExecutionKilled.from_json(record.value)
            except Exception as error:
                log.warning("worker.undecodable_kill", error=str(error))
                continue
            self.kill(kill)

    def kill(self, kill: ExecutionKilled) -> None:
        only = frozenset(kill.task_run_ids) if kill.task_run_ids is not None else None
        with self._lock:
            self._killed[kill.execution_id] = only
            self._killed.move_to_end(kill.execution_id)
            while len(self._killed) > _KILLED_REMEMBERED:
                self._killed.popitem(last=False)
            doomed = [
                entry
                for entry in self._running.values()
                if entry.job.execution_id == kill.execution_id
                and (only is None or entry.job.task_run_id in only)
            ]
        for entry in doomed:
            log.info("worker.killing", execution_id=kill.execution_id, task_run_id=entry.job.task_run_id)
            entry.token.cancel("killed")

    def _is_killed(self, job: WorkerJob) -> bool:
        with self._lock:
            if job.execution_id not in self._killed:
                return False
            only = self._killed[job.execution_id]
        return only is None or job.task_run_id in only

    # -- one job ----------------------------------------------------------------------------------------

    def _run_record(self, record: Record) -> None:
        label = self._options.group_label
        metrics.PENDING.labels(label).dec()
        try:
            self._run_job(record)
        except Exception:
            log.exception("worker.job_crashed", offset=record.offset)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _run_job(self, record: Record) -> None:
        consumer = self._consumer
        assert consumer is not None
        try:
            job: WorkerJob = WorkerJob.from_json(record.value or b"")
        except Exception as undecodable:
            trigger_job = _trigger_job(record.value)
            if trigger_job is not None:
                self._run_trigger_job(record, trigger_job)
                return
            log.error(
                "worker.poison_job",
                partition=record.partition,
                offset=record.offset,
                error=str(undecodable)[:500],
            )
            consumer.ack(record)
            return
        if self._is_killed(job):
            self._finish(record, job, StateType.KILLED, None, "killed before it started")
            return
        token = CancelToken()
        with self._lock:
            self._running[job.task_run_id] = _Running(job=job, token=token)
        label = self._options.group_label
        metrics.STARTED.labels(label).inc()
        metrics.RUNNING.labels(label).inc()
        started = time.monotonic()
        try:
            self._send(self._result(job, StateType.RUNNING))
            state, outputs, error = self._execute(job, token)
        finally:
            with self._lock:
                self._running.pop(job.task_run_id, None)
            metrics.RUNNING.labels(label).dec()
        if self._abandon.is_set() and token.cancelled and token.reason == "worker stopping":
            return  # handed back: not acknowledged, another worker runs it again
        metrics.DURATION.labels(label).observe(time.monotonic() - started)
        self._finish(record, job, state, outputs, error)

    def _execute(
        self, job: WorkerJob, token: CancelToken
    ) -> tuple[StateType, dict[str, Any] | None, str | None]:
        if is_working_directory(job):  # its children run here, in one directory
            return WorkingDirectoryRunner(
                storage=self._storage,
                kv=self._kv,
                renderer=self._renderer,
                log_sink=self._sink,
                metric_sink=self._sink,
                worker_id=self._options.worker_id,
                send=self._send,
                tmp_dir=self._options.tmp_dir,
                control=self._control,
            ).run(job, token)
        try:
            task = self._task(job)
        except Exception as invalid:
            return StateType.FAILED, None, f"invalid task: {invalid}"
        identity = TaskRunIdentity(
            namespace=job.task_run.namespace,
            flow_id=job.task_run.flow_id,
            execution_id=job.execution_id,
            task_id=job.task_run.task_id,
            task_run_id=job.task_run_id,
            attempt=job.attempt_number,
            value=job.task_run.value,
            tenant_id=job.task_run.tenant_id or "main",
        )
        context = TaskRunContext(
            identity=identity,
            variables=job.variables,
            renderer=self._renderer,
            storage=self._storage,
            kv=self._kv,
            log_sink=self._sink,
            metric_sink=self._sink,
            log_level=task.log_level.value if task.log_level else "TRACE",
            tmp_dir=self._options.tmp_dir,
            control=self._control,
        )
        with context:
            cache = TaskOutputCache.for_attempt(task, job.task, context)
            cached = self._cached_outputs(task, cache, context)
            if cached is not None:
                return StateType.SUCCESS, cached or None, None
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
            if cache is not None:
                self._store_outputs(task, cache, context, outputs)
        return StateType.SUCCESS, dict(outputs) or None, None

    @staticmethod
    def _cached_outputs(
        task: RunnableTask, cache: TaskOutputCache | None, context: TaskRunContext
    ) -> dict[str, Any] | None:
        if cache is None:
            return None
        try:
            cached = cache.load()
        except Exception as error:  # Kestra: log it and run the task instead
            context.logger.error(
                f"Unexpected exception while loading the cache for task '{task.id}', "
                f"the task will be executed instead: {error}"
            )
            return None
        if cached is not None:
            context.logger.info(
                f"Skipping task execution for task '{task.id}' as there is an existing cache entry for it"
            )
        return cached

    @staticmethod
    def _store_outputs(
        task: RunnableTask, cache: TaskOutputCache, context: TaskRunContext, outputs: Mapping[str, Any]
    ) -> None:
        context.logger.info(f"Uploading a cache entry for task '{task.id}'")
        try:
            cache.store(outputs)
        except Exception as error:
            context.logger.error(
                f"Unexpected exception while uploading the cache entry for task '{task.id}', "
                f"the task is not cached: {error}"
            )

    def _task(self, job: WorkerJob) -> RunnableTask:
        cls = registry.resolve(str(job.task["type"]))
        task = cls.model_validate(job.task)
        if not isinstance(task, RunnableTask):
            raise TypeError(f"{job.task['type']} is not a runnable task")
        return task

    def _result(
        self,
        job: WorkerJob,
        state: StateType,
        outputs: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> WorkerTaskResult:
        return WorkerTaskResult(
            execution_id=job.execution_id,
            task_run_id=job.task_run_id,
            attempt_number=job.attempt_number,
            worker_id=self._options.worker_id,
            state=state,
            outputs=outputs,
            error=error,
            date=datetime.now(UTC),
        )

    def _run_trigger_job(self, record: Record, job: WorkerTriggerJob) -> None:
        """One polling trigger evaluation (``type: trigger``): the result goes to ``trigger-results``
        (key: trigger uid) for the scheduler owning the trigger; the job is acknowledged once it is there."""
        consumer = self._consumer
        assert consumer is not None
        result = run_trigger_job(
            job, engine=self._renderer, storage=self._storage, worker_id=self._options.worker_id
        )

        def delivered(failure: Exception | None) -> None:
            if failure is None:
                consumer.ack(record)
            else:
                log.error("worker.trigger_result_not_delivered", uid=job.uid, error=str(failure))

        self._producer.produce(
            TRIGGER_RESULTS, key=job.uid.encode(), value=result.to_json(), on_delivery=delivered
        )

    def _send(self, result: WorkerTaskResult, on_delivery: Any = None) -> None:
        self._producer.produce(
            RESULTS, key=result.execution_id.encode(), value=result.to_json(), on_delivery=on_delivery
        )

    def _finish(
        self,
        record: Record,
        job: WorkerJob,
        state: StateType,
        outputs: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        metrics.ENDED.labels(self._options.group_label, state.value).inc()
        consumer = self._consumer
        assert consumer is not None

        def delivered(failure: Exception | None) -> None:
            if failure is None:
                consumer.ack(record)
            else:  # not acknowledged: the job comes back after a restart or rebalance
                log.error("worker.result_not_delivered", task_run_id=job.task_run_id, error=str(failure))

        result = self._result(job, state, outputs, error)
        try:
            self._send(result, delivered)
        except MessageTooLargeError as too_large:
            log.error("worker.result_too_large", task_run_id=job.task_run_id, size=too_large.size)
            self._send(
                self._result(job, StateType.FAILED, None, f"the task outputs are too large: {too_large}"),
                delivered,
            )
