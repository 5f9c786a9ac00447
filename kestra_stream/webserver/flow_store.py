"""Flow writes: a new revision on the ``flows`` topic (the indexer projects it into the repository),
echoed at once into this process's :class:`FlowView` so the writer reads it back immediately."""

from __future__ import annotations

import re
from typing import Any, Protocol

import orjson

from kestra_stream.flows import Flow, parse_flow
from kestra_stream.flows_cache import DEFAULT_TENANT, FLOWS, FlowSource
from kestra_stream.models.dates import format_instant, utc_now
from kestra_stream.queue import TopicLike
from kestra_stream.webserver.errors import ErrorDetail, invalid, not_found
from kestra_stream.webserver.followers import FlowView, StoredFlow, flow_document

_DISABLED_LINE = re.compile(r"^disabled:.*$", re.MULTILINE)


class FlowStoreServices(Protocol):
    """The webserver's services, or a worker's equivalent (git's SyncFlows writes flows this way too)."""

    @property
    def flows(self) -> FlowView: ...

    async def send(self, topic: TopicLike, *, key: bytes | None, value: bytes | None) -> None: ...


def parse_source(services: FlowStoreServices, source: str) -> Flow:
    """The typed flow or :class:`FlowValidationError` (422 with each violation's path)."""
    if not source.strip():
        raise invalid("a flow source (YAML) is required")
    return parse_flow(source, defaults=services.flows.defaults)


def _labels(flow: Flow) -> list[dict[str, str]] | None:
    if not flow.labels:
        return None
    return [{"key": label.key, "value": label.value} for label in flow.labels]


def _record(source: FlowSource, flow: Flow | None) -> dict[str, Any]:
    document = flow_document(source)
    document["updated"] = format_instant(utc_now())
    if flow is not None:
        document["disabled"] = flow.disabled
        labels = _labels(flow)
        if labels is not None:
            document["labels"] = labels
        else:
            document.pop("labels", None)
    return document


async def publish(services: FlowStoreServices, source: FlowSource, flow: Flow | None) -> StoredFlow:
    record = _record(source, flow)
    await services.send(FLOWS, key=source.key, value=orjson.dumps(record))
    stored = StoredFlow(source, record)
    services.flows.put(stored)
    return stored


async def save(services: FlowStoreServices, source: str, flow: Flow) -> StoredFlow:
    """Revision N+1 when the source changed (or the flow was deleted), else the current revision."""
    latest = services.flows.get(flow.namespace, flow.id, allow_deleted=True)
    if latest is not None and not latest.deleted and latest.source.source == source:
        return latest
    revision = 1 if latest is None else latest.revision + 1
    flow_source = FlowSource(
        tenant_id=DEFAULT_TENANT, namespace=flow.namespace, id=flow.id, revision=revision, source=source
    )
    return await publish(services, flow_source, flow)


async def create(services: FlowStoreServices, source: str) -> StoredFlow:
    flow = parse_source(services, source)
    if services.flows.get(flow.namespace, flow.id) is not None:
        raise invalid(
            f"Invalid entity: flow id already exists: {flow.namespace}.{flow.id}",
            [ErrorDetail(f"Flow id already exists: {flow.namespace}.{flow.id}", "id")],
        )
    return await save(services, source, flow)


async def update(services: FlowStoreServices, namespace: str, flow_id: str, source: str) -> StoredFlow:
    existing(services, namespace, flow_id)
    flow = parse_source(services, source)
    if (flow.namespace, flow.id) != (namespace, flow_id):
        raise invalid(
            "Invalid entity: flow id and namespace cannot be changed",
            [ErrorDetail(f"expected `{namespace}.{flow_id}`, got `{flow.namespace}.{flow.id}`", "id")],
        )
    return await save(services, source, flow)


async def delete(services: FlowStoreServices, namespace: str, flow_id: str) -> StoredFlow:
    latest = existing(services, namespace, flow_id)
    deleted = FlowSource(
        tenant_id=latest.source.tenant_id,
        namespace=namespace,
        id=flow_id,
        revision=latest.revision + 1,
        source=latest.source.source,
        deleted=True,
    )
    return await publish(services, deleted, services.flows.parsed(latest))


async def set_disabled(services: FlowStoreServices, stored: StoredFlow, disabled: bool) -> StoredFlow:
    source = stored.source.source
    line = f"disabled: {'true' if disabled else 'false'}"
    if _DISABLED_LINE.search(source):
        changed = _DISABLED_LINE.sub(line, source, count=1)
    else:
        changed = source.rstrip("\n") + "\n" + line + "\n"
    return await save(services, changed, parse_source(services, changed))


def existing(services: FlowStoreServices, namespace: str, flow_id: str) -> StoredFlow:
    found = services.flows.get(namespace, flow_id)
    if found is None:
        raise not_found(f"Flow '{namespace}.{flow_id}' not found")
    return found
