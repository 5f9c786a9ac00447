"""``/triggers``: search and read trigger state; change it through the scheduler.

Trigger state lives on the compacted ``triggers`` topic, whose **single writer** is the scheduler
instance owning the trigger's partition (docs/scheduler.md). The API reads the repository (the
indexer follows ``triggers``) and sends a :class:`~kestra_stream.scheduler.messages.TriggerCommand`
on ``trigger-commands`` for every change: unlock, enable/disable, backfill create/pause/unpause/delete,
reset (delete) and restart. The owner applies it within about a second; the answer is the state the
command leads to (Kestra answers the new ``Trigger``), the repository shows it once indexed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from kestra_stream.flows import Flow, all_triggers
from kestra_stream.models.dates import utc_now
from kestra_stream.models.trigger_context import Backfill, TriggerRecord
from kestra_stream.plugins.base import Trigger
from kestra_stream.plugins.triggers import Schedule
from kestra_stream.repository import Resource, parse_search
from kestra_stream.repository.filters import FilterField, Op, make_filter
from kestra_stream.scheduler.messages import (
    TRIGGER_COMMANDS,
    BackfillRequest,
    TriggerCommand,
    TriggerCommandType,
)
from kestra_stream.scheduler.plugins import is_realtime
from kestra_stream.webserver.errors import bad_request, conflict, invalid, not_found
from kestra_stream.webserver.http import TENANT, json_body, json_response, services
from kestra_stream.webserver.routing import OBJECT, PAGING, one, paged_of, q, route
from kestra_stream.webserver.routing import json_body as json_doc
from kestra_stream.webserver.services import WebServices


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


# -- resolving the target ---------------------------------------------------------------------------


class _Target:
    """A trigger of an existing flow, with its state when the scheduler already wrote one."""

    def __init__(self, flow: Flow, trigger: Trigger, record: TriggerRecord | None) -> None:
        self.flow, self.trigger, self.record = flow, trigger, record

    def command(self, kind: TriggerCommandType, **extra: Any) -> TriggerCommand:
        return TriggerCommand(
            command=kind,
            tenant_id=TENANT,
            namespace=self.flow.namespace,
            flow_id=self.flow.id,
            trigger_id=self.trigger.id,
            date=utc_now(),
            **extra,
        )

    def existing(self) -> TriggerRecord:
        if self.record is None:
            raise not_found(f"Trigger '{self.trigger.id}' has no state yet")
        return self.record

    def current(self) -> TriggerRecord:
        """The state, or the empty one the scheduler starts from."""
        if self.record is not None:
            return self.record
        return TriggerRecord(
            tenant_id=TENANT, namespace=self.flow.namespace, flow_id=self.flow.id, trigger_id=self.trigger.id
        )


async def _target(svc: WebServices, namespace: str, flow_id: str, trigger_id: str) -> _Target:
    stored = svc.flows.get(namespace, flow_id)
    flow = svc.flows.parsed(stored) if stored is not None else None
    record = await svc.repository.triggers.find(namespace, flow_id, trigger_id, tenant=TENANT)
    if flow is None:
        raise not_found(f"Trigger '{namespace}.{flow_id}.{trigger_id}' not found")
    for located in all_triggers(flow):
        if located.plugin.id == trigger_id:
            return _Target(flow, located.plugin, record)
    raise not_found(f"Trigger '{trigger_id}' is not in flow '{namespace}.{flow_id}'")


def _ids(body: Any) -> tuple[str, str, str]:
    if not isinstance(body, dict):
        raise invalid("expected a Trigger")
    ids = tuple(str(body.get(k) or "") for k in ("namespace", "flowId", "triggerId"))
    if not all(ids):
        raise invalid("namespace, flowId and triggerId are required")
    return ids[0], ids[1], ids[2]


async def _body_target(request: web.Request) -> tuple[dict[str, Any], _Target]:
    svc = services(request)
    body = await json_body(request)
    target = await _target(svc, *_ids(body))
    return body, target


async def _path_target(request: web.Request) -> _Target:
    names = ("namespace", "flowId", "triggerId")
    return await _target(services(request), *(request.match_info[n] for n in names))


async def _send(request: web.Request, command: TriggerCommand) -> None:
    """What :func:`~kestra_stream.scheduler.messages.send_trigger_command` produces, acknowledged."""
    await services(request).send(TRIGGER_COMMANDS, key=command.uid.encode(), value=command.to_json())


# -- commands ----------------------------------------------------------------------------------------


async def unlock(request: web.Request) -> web.Response:
    target = await _path_target(request)
    record = target.existing()
    if not record.locked:
        raise conflict("Trigger is not locked")
    await _send(request, target.command(TriggerCommandType.UNLOCK))
    return json_response(record.unlocked())


async def update_trigger(request: web.Request) -> web.Response:
    """``PUT /triggers``: ``disabled`` (enable/disable) or ``backfill`` (create one)."""
    body, target = await _body_target(request)
    if is_realtime(target.trigger):
        raise invalid("Realtime triggers can not be updated through the API, please update the flow")
    current = target.current()
    backfill = body.get("backfill")
    if backfill is not None:
        return await _create_backfill(request, target, current, backfill)
    if "disabled" not in body:
        raise invalid("expected `disabled` or `backfill`")
    disabled = bool(body["disabled"])
    await _send(request, target.command(TriggerCommandType.SET_DISABLED, disabled=disabled))
    return json_response(current.model_copy(update={"disabled": disabled}))


async def _create_backfill(
    request: web.Request, target: _Target, current: TriggerRecord, raw: Any
) -> web.Response:
    if not isinstance(target.trigger, Schedule):
        raise bad_request("Backfills are only for Schedule triggers")
    if current.backfill is not None:
        raise bad_request("Backfill already exists")
    try:
        backfill = BackfillRequest.model_validate(raw)
    except ValidationError as error:
        raise invalid(f"Invalid backfill: {error.errors()[0]['msg']}") from None
    if backfill.end is not None and backfill.end < backfill.start:
        raise invalid("Backfill end must be after its start")
    await _send(request, target.command(TriggerCommandType.CREATE_BACKFILL, backfill=backfill))
    predicted = Backfill(
        start=backfill.start,
        end=backfill.end,
        inputs=backfill.inputs,
        labels=backfill.labels,
        previous_next_execution_date=current.next_execution_date,
    )
    return json_response(current.model_copy(update={"backfill": predicted}))


def _backfill_action(kind: TriggerCommandType) -> Any:
    async def handler(request: web.Request) -> web.Response:
        _, target = await _body_target(request)
        record = target.existing()
        if record.backfill is None:
            raise bad_request("No backfill found")
        await _send(request, target.command(kind))
        if kind is TriggerCommandType.DELETE_BACKFILL:
            update: dict[str, Any] = {
                "backfill": None,
                "next_execution_date": record.backfill.previous_next_execution_date,
            }
        else:
            paused = kind is TriggerCommandType.PAUSE_BACKFILL
            update = {"backfill": record.backfill.model_copy(update={"paused": paused})}
        return json_response(record.model_copy(update=update))

    handler.__name__ = f"backfill_{kind.value.lower()}"
    return handler


async def delete_trigger(request: web.Request) -> web.Response:
    """Reset a trigger's state (1.3): the scheduler forgets it and evaluates it afresh from now."""
    target = await _path_target(request)
    target.existing()
    await _send(request, target.command(TriggerCommandType.RESET))
    return web.Response(status=204)


async def restart(request: web.Request) -> web.Response:
    """Kestra restarts a (realtime) trigger by resetting its state; so does this (RESET command)."""
    target = await _path_target(request)
    record = target.existing()
    await _send(request, target.command(TriggerCommandType.RESET))
    return json_response(record.unlocked())


_TRIGGER = one(TriggerRecord)
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
        "Enable or disable a trigger, or create a backfill",
        "Triggers",
        body=json_doc(OBJECT),
        response=_TRIGGER,
        statuses=(200, 400, 404, 422),
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
        response=_TRIGGER,
        statuses=(200, 404, 409),
    ),
    route(
        "POST",
        "/triggers/{namespace}/{flowId}/{triggerId}/restart",
        restart,
        "Restart a trigger (its state is reset)",
        "Triggers",
        response=_TRIGGER,
        statuses=(200, 404),
    ),
    route(
        "DELETE",
        "/triggers/{namespace}/{flowId}/{triggerId}",
        delete_trigger,
        "Reset a trigger's state",
        "Triggers",
        statuses=(204, 404),
    ),
    route(
        "PUT",
        "/triggers/backfill/pause",
        _backfill_action(TriggerCommandType.PAUSE_BACKFILL),
        "Pause a backfill",
        "Triggers",
        body=json_doc(OBJECT),
        response=_TRIGGER,
        statuses=(200, 400, 404, 422),
    ),
    route(
        "PUT",
        "/triggers/backfill/unpause",
        _backfill_action(TriggerCommandType.UNPAUSE_BACKFILL),
        "Resume a paused backfill",
        "Triggers",
        body=json_doc(OBJECT),
        response=_TRIGGER,
        statuses=(200, 400, 404, 422),
    ),
    route(
        "POST",
        "/triggers/backfill/delete",
        _backfill_action(TriggerCommandType.DELETE_BACKFILL),
        "Delete a backfill",
        "Triggers",
        body=json_doc(OBJECT),
        response=_TRIGGER,
        statuses=(200, 400, 404, 422),
    ),
]
