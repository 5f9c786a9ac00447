"""One realtime trigger listener: each event becomes one execution, the source is committed after.

Order per batch: executions produced → flushed (acks=all) → ``source.commit(events)``. A crash
between the flush and the commit re-delivers the batch; the ids (trigger, topic, partition, offset)
are the same, so the executor ignores the second copy. Nothing is lost: an event is committed only
once its execution is on the ``executions`` topic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import structlog

from kestra_stream.executor.messages import NewExecution
from kestra_stream.flows import Flow
from kestra_stream.plugins.base import Trigger
from kestra_stream.queue import Producer, TopicRef
from kestra_stream.scheduler.core import (
    SchedulerSettings,
    TriggerError,
    realtime_execution,
    realtime_execution_id,
)
from kestra_stream.scheduler.plugins import RealtimeSource, RealtimeTriggerPlugin, TriggerRunContext
from kestra_stream.storage import Storage

log = structlog.get_logger(__name__)

EXECUTIONS = TopicRef("executions")


class RealtimeRunner:
    def __init__(
        self,
        *,
        flow: Flow,
        trigger: Trigger,
        uid: str,
        producer: Producer,
        settings: SchedulerSettings,
        clock: Callable[[], datetime],
        storage: Storage | None = None,
        batch: int = 500,
        retry_delay: float = 1.0,
    ) -> None:
        assert isinstance(trigger, RealtimeTriggerPlugin)
        self.flow = flow
        self.trigger = trigger
        self.uid = uid
        self._producer = producer
        self._settings = settings
        self._clock = clock
        self._storage = storage
        self._batch = batch
        self._retry_delay = retry_delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"realtime-{uid}", daemon=True)
        self.created = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _context(self) -> TriggerRunContext:
        flow = self.flow
        return TriggerRunContext(
            uid=self.uid,
            namespace=flow.namespace,
            flow_id=flow.id,
            tenant_id=flow.tenant_id,
            variables={"flow": {"id": flow.id, "namespace": flow.namespace, "revision": flow.revision}},
            engine=self._settings.engine,
            storage=self._storage,
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            source: RealtimeSource | None = None
            try:
                source = self.trigger.realtime_source(self._context())
                while not self._stop.is_set():
                    self._pump(source)
            except Exception:
                log.exception("scheduler.realtime_failed", uid=self.uid)
                self._stop.wait(self._retry_delay)
            finally:
                if source is not None:
                    try:
                        source.close()
                    except Exception:
                        log.exception("scheduler.realtime_close_failed", uid=self.uid)

    def _pump(self, source: RealtimeSource) -> None:
        events = source.poll(self._batch, 0.1)
        if not events:
            return
        now = self._clock()
        failures: list[Exception] = []

        def delivered(error: Exception | None) -> None:
            if error is not None:
                failures.append(error)

        for event in events:
            execution_id = realtime_execution_id(self.uid, event.source, event.partition, event.offset)
            try:
                execution = realtime_execution(
                    self.flow, self.trigger, execution_id, event.variables, now, self._settings
                )
            except TriggerError as error:
                log.error(
                    "scheduler.realtime_event_skipped", uid=self.uid, offset=event.offset, error=str(error)
                )
                continue
            self._producer.produce(
                EXECUTIONS,
                key=execution.id.encode(),
                value=NewExecution(execution=execution).to_json(),
                on_delivery=delivered,
            )
        if self._producer.flush(30.0) or failures:
            raise RuntimeError(f"executions not delivered ({failures[:1]}): the batch will be read again")
        source.commit(events)
        self.created += len(events)
