"""Runtime state of a flow's trigger (next date, lock, backfill), kept apart from the flow."""

from __future__ import annotations

from typing import Any

from kestra_stream.models.dates import Instant, ZonedDateTime
from kestra_stream.models.labels import Labels
from kestra_stream.models.payload import Payload
from kestra_stream.models.state import StateType


class Backfill(Payload):
    start: ZonedDateTime
    end: ZonedDateTime | None = None
    current_date: ZonedDateTime | None = None
    paused: bool = False
    inputs: dict[str, Any] | None = None
    labels: Labels | None = None
    previous_next_execution_date: ZonedDateTime | None = None


class TriggerContext(Payload):
    tenant_id: str | None = None
    namespace: str
    flow_id: str
    trigger_id: str
    date: ZonedDateTime | None = None
    next_execution_date: ZonedDateTime | None = None
    backfill: Backfill | None = None
    stop_after: tuple[StateType, ...] | None = None
    disabled: bool = False

    @property
    def uid(self) -> str:
        return "_".join(
            part for part in (self.tenant_id, self.namespace, self.flow_id, self.trigger_id) if part
        )


class TriggerRecord(TriggerContext):
    """Kestra's ``Trigger``: the context plus the lock held while an execution or evaluation runs."""

    execution_id: str | None = None
    evaluate_running_date: Instant | None = None
    worker_id: str | None = None
    updated_date: Instant | None = None

    @property
    def locked(self) -> bool:
        return self.execution_id is not None or self.evaluate_running_date is not None

    def unlocked(self) -> TriggerRecord:
        return self.model_copy(update={"execution_id": None, "evaluate_running_date": None})
