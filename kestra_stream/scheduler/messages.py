"""What the scheduler reads and writes besides executions (docs/scheduler.md).

* ``triggers`` (compacted, key = trigger uid): :class:`~kestra_stream.models.trigger_context.TriggerRecord`,
  written **only** by the scheduler instance owning the key's partition.
* ``trigger-commands`` (key = trigger uid): :class:`TriggerCommand` — what the API asks (unlock,
  enable/disable, backfill create/pause/unpause/delete, reset). The owner applies it and writes the
  new record in the same transaction that consumes the command.
* ``trigger-results`` (key = trigger uid): :class:`WorkerTriggerResult`, the outcome of a
  :class:`WorkerTriggerJob` (one evaluation of a polling trigger).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from kestra_stream.models.dates import Instant, ZonedDateTime
from kestra_stream.models.labels import Labels
from kestra_stream.models.payload import Payload
from kestra_stream.queue import Producer, TopicRef

TRIGGERS = TopicRef("triggers")
TRIGGER_COMMANDS = TopicRef("trigger-commands")
TRIGGER_RESULTS = TopicRef("trigger-results")

DEFAULT_TENANT = "main"


def trigger_uid(tenant_id: str | None, namespace: str, flow_id: str, trigger_id: str) -> str:
    """Kestra's ``Trigger.uid``: ``tenant_namespace_flowId_triggerId`` (the key of the three topics)."""
    return "_".join((tenant_id or DEFAULT_TENANT, namespace, flow_id, trigger_id))


class TriggerCommandType(StrEnum):
    UNLOCK = "UNLOCK"
    """Clear the lock (running execution or evaluation); may let a second execution overlap."""
    SET_DISABLED = "SET_DISABLED"
    """``disabled`` true/false at runtime, without editing the flow."""
    CREATE_BACKFILL = "CREATE_BACKFILL"
    PAUSE_BACKFILL = "PAUSE_BACKFILL"
    UNPAUSE_BACKFILL = "UNPAUSE_BACKFILL"
    DELETE_BACKFILL = "DELETE_BACKFILL"
    RESET = "RESET"
    """Forget the state (Kestra's DELETE /triggers/...): evaluation restarts from now."""


class BackfillRequest(Payload):
    start: ZonedDateTime
    end: ZonedDateTime | None = None
    inputs: dict[str, Any] | None = None
    labels: Labels | None = None


class TriggerCommand(Payload):
    """From the API to the scheduler owning the trigger (topic ``trigger-commands``, key :attr:`uid`)."""

    type: Literal["TriggerCommand"] = "TriggerCommand"
    command: TriggerCommandType
    tenant_id: str | None = None
    namespace: str
    flow_id: str
    trigger_id: str
    disabled: bool | None = None
    backfill: BackfillRequest | None = None
    command_id: str | None = None
    date: Instant | None = None

    @property
    def uid(self) -> str:
        return trigger_uid(self.tenant_id, self.namespace, self.flow_id, self.trigger_id)


def send_trigger_command(producer: Producer, command: TriggerCommand) -> None:
    """What the webserver calls: the owning scheduler applies the command within about a second."""
    producer.produce(TRIGGER_COMMANDS, key=command.uid.encode(), value=command.to_json())


class WorkerTriggerJob(Payload):
    """One evaluation of a polling trigger (Kestra's ``WorkerTrigger``), keyed by trigger uid."""

    type: Literal["trigger"] = "trigger"
    uid: str
    tenant_id: str | None = None
    namespace: str
    flow_id: str
    flow_revision: int
    trigger: dict[str, Any]
    """The trigger definition (plugin defaults applied, not rendered)."""
    evaluation_date: Instant
    variables: dict[str, Any]
    """The rendering context: ``flow`` and ``trigger`` (the previous evaluation)."""


class WorkerTriggerResult(Payload):
    """The outcome of a :class:`WorkerTriggerJob`: ``variables`` is None when nothing was found."""

    uid: str
    evaluation_date: Instant
    success: bool = True
    variables: dict[str, Any] | None = None
    error: str | None = None
    worker_id: str | None = None
