"""Every process's view of the ``flows`` compacted topic: parsed flows by (namespace, id, revision).

A record is keyed ``tenant/namespace/id`` and holds ``{"tenantId", "namespace", "id", "revision",
"source", "deleted"}`` (the YAML source is authoritative). Sources are kept per revision and parsed
once, on first lookup, with the global plugin defaults. The topic is compacted, so after a restart
only the latest revision of a flow may be left: a lookup of an unknown older revision answers the
latest one rather than failing an execution that was started before the update.

The cache is followed on a thread of its own (the server's services thread calls :meth:`FlowCache.update`),
so a flow published a moment ago may not be in it yet when the executor sees an execution of it:
:meth:`FlowCache.await_flow` closes that race (see its docstring and docs/queue.md).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog

from kestra_stream.flows import Flow, FlowValidationError, PluginDefault, parse_flow
from kestra_stream.queue import CompactedView, Producer, Queue, Record, TopicRef

log = structlog.get_logger(__name__)

FLOWS = TopicRef("flows")
DEFAULT_TENANT = "main"
_FLOW_TRIGGER_HINT = re.compile(r"\.Flow\b")
"""Both names of the Flow trigger end with ``.Flow``: sources without it are never parsed for it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowSource:
    tenant_id: str
    namespace: str
    id: str
    revision: int
    source: str
    deleted: bool = False

    @property
    def key(self) -> bytes:
        return f"{self.tenant_id}/{self.namespace}/{self.id}".encode()

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "tenantId": self.tenant_id,
                "namespace": self.namespace,
                "id": self.id,
                "revision": self.revision,
                "source": self.source,
                "deleted": self.deleted,
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> FlowSource:
        raw: dict[str, Any] = orjson.loads(data)
        return cls(
            tenant_id=str(raw.get("tenantId") or DEFAULT_TENANT),
            namespace=str(raw["namespace"]),
            id=str(raw["id"]),
            revision=int(raw.get("revision") or 1),
            source=str(raw["source"]),
            deleted=bool(raw.get("deleted", False)),
        )


def publish_flow(producer: Producer, flow: FlowSource) -> None:
    producer.produce(FLOWS, key=flow.key, value=flow.to_json())


class FlowCache:
    """A :class:`~kestra_stream.executor.core.FlowLookup` over the flows topic (thread-safe lookups)."""

    def __init__(self, *, queue: Queue, defaults: Iterable[PluginDefault] = ()) -> None:
        self._defaults = list(defaults)
        self._lock = threading.Lock()
        self._sources: dict[tuple[str, str], dict[int, FlowSource]] = {}
        self._parsed: dict[tuple[str, str, int], Flow | None] = {}
        self._with_flow_triggers: tuple[Flow, ...] | None = None
        self._generation = 0
        self._reading = threading.Lock()
        """Serialises the readers of the topic: the follower thread and :meth:`await_flow`'s callers."""
        self._view: CompactedView[FlowSource] = CompactedView(
            queue=queue, topic=FLOWS, decode=self._decode, on_change=self._changed
        )

    def _decode(self, record: Record) -> FlowSource | None:
        try:
            return FlowSource.from_json(record.value or b"")
        except (ValueError, KeyError, TypeError) as error:
            log.error("flows.undecodable", key=record.key, error=str(error))
            return None

    def _changed(self, key: bytes, value: FlowSource | None) -> None:
        if value is None:
            return
        with self._lock:
            self._sources.setdefault((value.namespace, value.id), {})[value.revision] = value
            self._with_flow_triggers = None
            self._generation += 1

    def catch_up(self, timeout: float = 60.0) -> None:
        with self._reading:
            self._view.catch_up(timeout)

    def update(self, timeout: float = 0.0) -> int:
        with self._reading:
            return self._view.update(timeout)

    def knows(self, namespace: str, flow_id: str, revision: int | None) -> bool:
        """Whether a lookup can be answered without reading the topic any further.

        Unknown: a flow never seen, a revision newer than the latest seen, or (latest wanted) a
        deleted latest revision: each may be a record published but not read yet. An *older* unknown
        revision is known: compaction removed it and the latest answers (see the module docstring).
        """
        with self._lock:
            revisions = self._sources.get((namespace, flow_id))
            if not revisions:
                return False
            latest = max(revisions)
            if revision is None:
                return not revisions[latest].deleted
            return revision <= latest

    def await_flow(self, namespace: str, flow_id: str, revision: int | None, timeout: float) -> bool:
        """Read the topic up to its current end when the flow is unknown (:meth:`knows`); whether it
        is known afterwards. Bounded by ``timeout``; a known flow returns at once (no I/O, no wait).

        Called by the executor before it handles a new execution: whatever was published before
        the execution (the API awaits the flow's delivery before it submits) is then in the cache.
        """
        if self.knows(namespace, flow_id, revision):
            return True
        deadline = time.monotonic() + timeout
        if not self._reading.acquire(timeout=max(0.0, timeout)):
            return self.knows(namespace, flow_id, revision)
        try:
            while not self._view.at_current_end(max(0.0, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    log.warning(
                        "flows.catch_up_timeout", namespace=namespace, flow_id=flow_id, revision=revision
                    )
                    break
                self._view.update(min(0.05, max(0.0, deadline - time.monotonic())))
        finally:
            self._reading.release()
        return self.knows(namespace, flow_id, revision)

    def __call__(self, namespace: str, flow_id: str, revision: int | None) -> Flow | None:
        with self._lock:
            revisions = self._sources.get((namespace, flow_id))
            if not revisions:
                return None
            latest = max(revisions)
            chosen = revision if revision in revisions else latest
            source = revisions[chosen]
            if revision is None and source.deleted:
                return None
            cache_key = (namespace, flow_id, chosen)
            if cache_key in self._parsed:
                return self._parsed[cache_key]
        flow = self._parse(source)
        with self._lock:
            self._parsed[cache_key] = flow
        return flow

    def flows_with_flow_triggers(self, namespace: str | None = None) -> Sequence[Flow]:
        """Latest revision of every non-deleted flow declaring a ``Flow`` trigger (``FlowTriggerSource``).

        Cached, rebuilt after the ``flows`` topic changed. ``namespace`` keeps the flows of that
        namespace and its sub-namespaces.
        """
        with self._lock:
            cached = self._with_flow_triggers
        if cached is None:
            cached = self._rebuild_flow_triggers()
        if namespace is None:
            return cached
        prefix = namespace + "."
        return tuple(
            flow for flow in cached if flow.namespace == namespace or flow.namespace.startswith(prefix)
        )

    def _rebuild_flow_triggers(self) -> tuple[Flow, ...]:
        from kestra_stream.plugins.triggers.flow import FlowTrigger

        with self._lock:
            generation = self._generation
            candidates = [
                (namespace, flow_id)
                for (namespace, flow_id), revisions in self._sources.items()
                if not revisions[max(revisions)].deleted
                and _FLOW_TRIGGER_HINT.search(revisions[max(revisions)].source)
            ]
        found: list[Flow] = []
        for namespace, flow_id in sorted(candidates):
            flow = self(namespace, flow_id, None)
            if flow is not None and any(isinstance(trigger, FlowTrigger) for trigger in flow.triggers or ()):
                found.append(flow)
        result = tuple(found)
        with self._lock:
            if self._generation == generation:
                self._with_flow_triggers = result
        return result

    def _parse(self, source: FlowSource) -> Flow | None:
        try:
            flow = parse_flow(source.source, defaults=self._defaults)
        except FlowValidationError as error:
            log.error("flows.invalid", namespace=source.namespace, flow_id=source.id, error=str(error))
            return None
        return flow.model_copy(update={"revision": source.revision, "tenant_id": source.tenant_id})

    def close(self) -> None:
        self._view.close()
