"""What a polling or realtime trigger plugin implements to be run by kestra-stream.

* Polling (``interval``): ``evaluate(ctx) -> dict | None`` — the ``{{ trigger.* }}`` variables of the
  execution to start, or ``None`` when there is nothing. Called through :func:`run_trigger_job` for one
  :class:`~kestra_stream.scheduler.messages.WorkerTriggerJob` (by the scheduler's evaluation pool, or by a
  worker that dispatches ``type: trigger`` jobs to it).
* Realtime: ``realtime_source(ctx) -> RealtimeSource`` — a long-lived listener; each event becomes one
  execution whose id derives from the event's position, and the source is told to ``commit`` the events
  only once their executions are durably on the ``executions`` topic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import structlog

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.plugins.base import Trigger
from kestra_stream.plugins.registry import registry
from kestra_stream.scheduler.messages import WorkerTriggerJob, WorkerTriggerResult
from kestra_stream.storage import Storage

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class TriggerRunContext:
    """Rendering, internal storage and logging for one trigger evaluation or listener."""

    uid: str
    namespace: str
    flow_id: str
    variables: Mapping[str, Any]
    engine: ExpressionEngine = field(default_factory=ExpressionEngine)
    storage: Storage | None = None
    tenant_id: str | None = None
    date: datetime | None = None

    def render(self, value: Any) -> Any:
        return self.engine.render_typed(value, self.variables)

    def render_text(self, value: str | None) -> str | None:
        return None if value is None else self.engine.render(value, self.variables)

    def warn(self, message: str) -> None:
        log.warning("trigger.warn", uid=self.uid, message=message)


@runtime_checkable
class PollingTriggerPlugin(Protocol):
    def evaluate(self, ctx: TriggerRunContext) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RealtimeEvent:
    variables: dict[str, Any]
    """``{{ trigger.* }}`` of the execution."""
    source: str
    partition: int
    offset: int


class RealtimeSource(Protocol):
    def poll(self, max_events: int, timeout: float) -> list[RealtimeEvent]: ...

    def commit(self, events: Sequence[RealtimeEvent]) -> None:
        """The executions of ``events`` are durable: never deliver them again."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class RealtimeTriggerPlugin(Protocol):
    def realtime_source(self, ctx: TriggerRunContext) -> RealtimeSource: ...


def is_realtime(trigger: Trigger) -> bool:
    return isinstance(trigger, RealtimeTriggerPlugin)


def is_polling(trigger: Trigger) -> bool:
    return isinstance(trigger, PollingTriggerPlugin)


def run_trigger_job(
    job: WorkerTriggerJob,
    *,
    engine: ExpressionEngine | None = None,
    storage: Storage | None = None,
    worker_id: str | None = None,
) -> WorkerTriggerResult:
    """One evaluation; never raises (a failure is a result with ``success=False``)."""
    try:
        cls = registry.resolve(str(job.trigger["type"]))
        trigger = cls.model_validate(job.trigger)
        if not isinstance(trigger, PollingTriggerPlugin):
            raise TypeError(f"{job.trigger['type']} is not a polling trigger")
        ctx = TriggerRunContext(
            uid=job.uid,
            namespace=job.namespace,
            flow_id=job.flow_id,
            tenant_id=job.tenant_id,
            variables=job.variables,
            engine=engine or ExpressionEngine(),
            storage=storage,
            date=job.evaluation_date,
        )
        variables = trigger.evaluate(ctx)
    except Exception as error:
        return WorkerTriggerResult(
            uid=job.uid,
            evaluation_date=job.evaluation_date,
            success=False,
            error=f"{type(error).__name__}: {error}",
            worker_id=worker_id,
        )
    return WorkerTriggerResult(
        uid=job.uid, evaluation_date=job.evaluation_date, variables=variables, worker_id=worker_id
    )
