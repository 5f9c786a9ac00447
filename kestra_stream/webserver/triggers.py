"""``/triggers``: search, per flow, unlock, enable/disable. Trigger state lives on the compacted
``triggers`` topic (keyed by trigger uid); the API reads the repository and writes the topic."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kestra_stream.flows import all_triggers
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.queue import TopicRef
from kestra_stream.repository import Resource, parse_search
from kestra_stream.repository.filters import FilterField, Op, make_filter
from kestra_stream.webserver.errors import conflict, invalid, not_found
from kestra_stream.webserver.http import TENANT, json_body, json_response, services
from kestra_stream.webserver.routing import OBJECT, PAGING, one, paged_of, q, route
from kestra_stream.webserver.routing import json_body as json_doc
from kestra_stream.webserver.services import WebServices

TRIGGERS = TopicRef("triggers")


def _with_definition(svc: WebServices, record: TriggerRecord) -> dict[str, Any]:
    """Kestra's search row: ``{abstractTrigger, triggerContext}``."""
    definition: dict[str, Any] | None = None
    stored = svc.flows.get(record.namespace, record.flow_id)
    if stored is not None:
        for trigger in stored.document.get("triggers") or []:
            if isinstance(trigger, dict) and trigger.get("id") == record.trigger_id:
                definition = trigger
    return {"abstractTrigger": definition, "triggerContext": record.to_json_dict()}


async def search_triggers(request: web.Request) -> web.Response:
    svc = services(request)
    page = await svc.repository.triggers.search(
        parse_search(request.query, resource=Resource.TRIGGER, tenant=TENANT)
    )
    return json_response({"results": [_with_definition(svc, r) for r in page.results], "total": page.total})


async def flow_triggers(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, flow_id = request.match_info["namespace"], request.match_info["flowId"]
    search = parse_search(request.query, resource=Resource.TRIGGER, tenant=TENANT)
    extra = (
        make_filter(FilterField.NAMESPACE, Op.EQUALS, namespace),
        make_filter(FilterField.FLOW_ID, Op.EQUALS, flow_id),
    )
    page = await svc.repository.triggers.search(
        type(search)(filters=(*search.filters, *extra), sort=search.sort, page=search.page, tenant=TENANT)
    )
    return json_response(page)


async def _existing(svc: WebServices, namespace: str, flow_id: str, trigger_id: str) -> TriggerRecord:
    record = await svc.repository.triggers.find(namespace, flow_id, trigger_id, tenant=TENANT)
    if record is None:
        raise not_found(f"Trigger '{namespace}.{flow_id}.{trigger_id}' not found")
    return record


async def _publish(svc: WebServices, record: TriggerRecord) -> None:
    await svc.send(TRIGGERS, key=record.uid.encode(), value=record.to_json())


async def unlock(request: web.Request) -> web.Response:
    svc = services(request)
    record = await _existing(svc, *(request.match_info[n] for n in ("namespace", "flowId", "triggerId")))
    if not record.locked:
        raise conflict("Trigger is not locked")
    unlocked = record.unlocked()
    await _publish(svc, unlocked)
    return json_response(unlocked)


async def update_trigger(request: web.Request) -> web.Response:
    """Enable/disable a trigger (``PUT /triggers`` with ``disabled``)."""
    svc = services(request)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise invalid("expected a Trigger")
    namespace, flow_id, trigger_id = (str(body.get(k) or "") for k in ("namespace", "flowId", "triggerId"))
    record = await _existing(svc, namespace, flow_id, trigger_id)
    if "disabled" not in body:
        raise invalid("only `disabled` can be changed here (backfills are not supported yet)")
    stored = svc.flows.get(namespace, flow_id)
    flow = svc.flows.parsed(stored) if stored is not None else None
    if flow is not None and not any(located.plugin.id == trigger_id for located in all_triggers(flow)):
        raise not_found(f"Trigger '{trigger_id}' is not in flow '{namespace}.{flow_id}'")
    updated = record.model_copy(update={"disabled": bool(body["disabled"])})
    await _publish(svc, updated)
    return json_response(updated)


async def delete_trigger(request: web.Request) -> web.Response:
    """Reset a trigger's state (1.3): a tombstone on ``triggers``; the scheduler starts it afresh."""
    svc = services(request)
    record = await _existing(svc, *(request.match_info[n] for n in ("namespace", "flowId", "triggerId")))
    await svc.send(TRIGGERS, key=record.uid.encode(), value=None)
    return web.Response(status=204)


ROUTES = [
    route(
        "GET",
        "/triggers/search",
        search_triggers,
        "Search triggers",
        "Triggers",
        params=(*PAGING, q("filters"), q("q"), q("namespace")),
        response=paged_of(TriggerRecord),
        statuses=(200, 422),
    ),
    route(
        "PUT",
        "/triggers",
        update_trigger,
        "Enable or disable a trigger",
        "Triggers",
        body=json_doc(OBJECT),
        response=one(TriggerRecord),
        statuses=(200, 404, 422),
    ),
    route(
        "GET",
        "/triggers/{namespace}/{flowId}",
        flow_triggers,
        "Triggers of a flow",
        "Triggers",
        params=(*PAGING, q("q")),
        response=paged_of(TriggerRecord),
        statuses=(200, 422),
    ),
    route(
        "POST",
        "/triggers/{namespace}/{flowId}/{triggerId}/unlock",
        unlock,
        "Unlock a trigger",
        "Triggers",
        response=one(TriggerRecord),
        statuses=(200, 404, 409),
    ),
]
