"""The scheduler's view of the ``flows`` topic: the latest revision of every flow, with its triggers."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import structlog

from kestra_stream.flows import Flow, FlowValidationError, PluginDefault, parse_flow
from kestra_stream.flows_cache import FLOWS, FlowSource
from kestra_stream.plugins.base import Trigger
from kestra_stream.queue import CompactedView, Queue, Record
from kestra_stream.scheduler.messages import trigger_uid

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class FlowTrigger:
    flow: Flow
    trigger: Trigger
    uid: str


class SchedulerFlows:
    """Triggers by uid, rebuilt when a flow changes. A flow that fails to parse keeps no trigger but
    its state is not deleted (see :meth:`is_gone`): fixing the flow resumes it."""

    def __init__(self, *, queue: Queue, defaults: Iterable[PluginDefault] = ()) -> None:
        self._defaults = list(defaults)
        self._lock = threading.Lock()
        self._by_flow: dict[tuple[str, str, str], tuple[FlowTrigger, ...]] = {}
        self._invalid: set[tuple[str, str, str]] = set()
        self._triggers: dict[str, FlowTrigger] = {}
        self._view: CompactedView[FlowSource] = CompactedView(
            queue=queue, topic=FLOWS, decode=self._decode, on_change=self._changed
        )

    def _decode(self, record: Record) -> FlowSource | None:
        try:
            return FlowSource.from_json(record.value or b"")
        except (ValueError, KeyError, TypeError) as error:
            log.error("scheduler.undecodable_flow", key=record.key, error=str(error))
            return None

    def _changed(self, key: bytes, source: FlowSource | None) -> None:
        if source is None:
            return
        flow_key = (source.tenant_id, source.namespace, source.id)
        entries: tuple[FlowTrigger, ...] = ()
        invalid = False
        if not source.deleted:
            try:
                flow = parse_flow(source.source, defaults=self._defaults).model_copy(
                    update={"revision": source.revision, "tenant_id": source.tenant_id}
                )
                entries = tuple(
                    FlowTrigger(
                        flow, trigger, trigger_uid(source.tenant_id, flow.namespace, flow.id, trigger.id)
                    )
                    for trigger in flow.triggers or ()
                )
            except FlowValidationError as error:
                invalid = True
                log.error(
                    "scheduler.invalid_flow", namespace=source.namespace, flow_id=source.id, error=str(error)
                )
        with self._lock:
            for old in self._by_flow.pop(flow_key, ()):
                self._triggers.pop(old.uid, None)
            self._invalid.discard(flow_key)
            if invalid:
                self._invalid.add(flow_key)
            self._by_flow[flow_key] = entries
            for entry in entries:
                self._triggers[entry.uid] = entry

    def catch_up(self, timeout: float = 60.0) -> None:
        self._view.catch_up(timeout)

    def update(self, timeout: float = 0.0) -> int:
        return self._view.update(timeout)

    def triggers(self) -> list[FlowTrigger]:
        with self._lock:
            return list(self._triggers.values())

    def get(self, uid: str) -> FlowTrigger | None:
        with self._lock:
            return self._triggers.get(uid)

    def is_gone(self, tenant_id: str | None, namespace: str, flow_id: str, trigger_id: str) -> bool:
        """The flow was deleted or no longer has this trigger (an invalid flow is not gone)."""
        key = (tenant_id or "main", namespace, flow_id)
        with self._lock:
            if key in self._invalid:
                return False
            return trigger_uid(*key, trigger_id) not in self._triggers

    def close(self) -> None:
        self._view.close()
