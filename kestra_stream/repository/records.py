"""What the repository returns besides the runtime models: flows as stored, KV metadata, namespaces,
daily statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from kestra_stream.models.dates import Instant
from kestra_stream.models.labels import Labels
from kestra_stream.models.payload import Payload
from kestra_stream.models.state import StateType


class FlowRecord(Payload):
    """A flow revision as stored (Kestra's ``FlowWithSource``).

    Only what the repository filters on is typed; every other property of the flow (tasks, triggers,
    inputs...) is kept as it came, so the API can return the document without re-validating it through
    the plugin registry. Build the typed flow with ``parse_flow(record.source)`` when needed.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    id: str
    namespace: str
    revision: int
    tenant_id: str | None = None
    description: str | None = None
    labels: Labels | None = None
    disabled: bool = False
    deleted: bool = False
    updated: Instant | None = None
    source: str | None = None

    @property
    def uid(self) -> str:
        return "_".join(str(p) for p in (self.tenant_id, self.namespace, self.id, self.revision) if p)

    @property
    def uid_without_revision(self) -> str:
        return "_".join(p for p in (self.tenant_id, self.namespace, self.id) if p)


def next_flow_revision(latest: FlowRecord | None, candidate: FlowRecord) -> FlowRecord | None:
    """Kestra's revision rule: the candidate as revision N+1 when its source changed (or the flow was
    deleted), None when saving it would change nothing. A deleted flow continues its history."""
    unchanged = latest is not None and latest.source == candidate.source
    if unchanged and latest is not None and not latest.deleted and not candidate.deleted:
        return None
    revision = 1 if latest is None else latest.revision + 1
    return candidate.model_copy(update={"revision": revision})


def soft_deleted(latest: FlowRecord, *, at: Any = None) -> FlowRecord:
    """The revision that deletes ``latest``: same source, ``deleted: true``."""
    update: dict[str, Any] = {"revision": latest.revision + 1, "deleted": True}
    if at is not None:
        update["updated"] = at
    return latest.model_copy(update=update)


class KVMetadata(Payload):
    """A KV entry without its value (values live in internal storage); Kestra's ``KVEntry``."""

    tenant_id: str | None = None
    namespace: str
    key: str
    version: int = 1
    description: str | None = None
    creation_date: Instant | None = None
    update_date: Instant | None = None
    expiration_date: Instant | None = None
    deleted: bool = False

    @property
    def uid(self) -> str:
        return "_".join(p for p in (self.tenant_id, self.namespace, self.key) if p)


class Namespace(Payload):
    id: str
    deleted: bool = False


class DurationStats(Payload):
    min: float = 0.0
    avg: float = 0.0
    max: float = 0.0
    sum: float = 0.0
    count: int = 0


class DailyExecutionStatistics(Payload):
    """One day of the dashboard chart: executions started that day, by state, with durations (seconds)."""

    start_date: date
    duration: DurationStats
    execution_counts: dict[StateType, int]
    group_by: str = "day"
