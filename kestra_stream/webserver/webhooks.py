"""``/executions/webhook/{namespace}/{flowId}/{key}``: start an execution from an HTTP call.

The flow's ``io.kestra.plugin.core.trigger.Webhook`` trigger whose **rendered** ``key`` matches is the
trigger (``{{ secret('WEBHOOK_KEY') }}`` works); the body (JSON when it parses, else text), headers and
query parameters become ``trigger.body``, ``trigger.headers`` and ``trigger.parameters``.

Answers (Kestra's ``ExecutionController.webhook``): 404 for an unknown namespace/flow, no matching key,
a disabled flow, a trigger disabled in the flow or at runtime (its state in the repository); 204 when
the trigger's ``conditions`` reject the request (evaluated with ``trigger.*`` of the request:
``Expression``, ``Not``, ``Or`` and the date conditions); else 200 with the execution. With
``wait: true`` the call waits for the end of the execution, and with ``returnOutputs: true`` answers
the flow's outputs: JSON by default, the single output as text for another ``responseContentType``
(e.g. ``text/plain``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
import structlog
from aiohttp import web

from kestra_stream.flows import Flow, all_triggers
from kestra_stream.models.execution import ExecutionTrigger
from kestra_stream.plugins.triggers.webhook import Webhook
from kestra_stream.scheduler.core.conditions import all_schedule_conditions_hold
from kestra_stream.webserver import execution_inputs as inputs
from kestra_stream.webserver.errors import not_found
from kestra_stream.webserver.executions import execution_url
from kestra_stream.webserver.http import TENANT, json_response, services
from kestra_stream.webserver.routing import OBJECT, q, route
from kestra_stream.webserver.services import WebServices

log = structlog.get_logger(__name__)

WEBHOOK_TYPE = "io.kestra.plugin.core.trigger.Webhook"


def _find_trigger(svc: WebServices, flow: Flow, key: str) -> Webhook | None:
    """The webhook whose rendered key is ``key`` (disabled ones included: the caller answers 404)."""
    context = {"flow": {"id": flow.id, "namespace": flow.namespace}}
    for located in all_triggers(flow):
        trigger = located.plugin
        if not isinstance(trigger, Webhook):
            continue
        try:
            rendered = svc.engine.render(trigger.key, context)
        except Exception as error:
            log.warning("webhook.key_not_rendered", flow_id=flow.id, trigger_id=trigger.id, error=str(error))
            continue
        if rendered == key:
            return trigger
    return None


def _conditions_hold(svc: WebServices, flow: Flow, trigger: Webhook, context: dict[str, Any]) -> bool:
    """All conditions (AND); one that fails to evaluate rejects the request (logged)."""
    try:
        return all_schedule_conditions_hold(trigger.conditions, svc.engine, context)
    except Exception as error:
        log.warning("webhook.condition_failed", flow_id=flow.id, trigger_id=trigger.id, error=str(error))
        return False


def _multi(items: Any) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for name, value in items:
        grouped[name].append(value)
    return dict(grouped)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode(errors="replace")


async def webhook(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, flow_id, key = (request.match_info[name] for name in ("namespace", "id", "key"))
    stored = svc.flows.get(namespace, flow_id)
    flow = svc.flows.parsed(stored) if stored is not None else None
    if flow is None:
        raise not_found(f"Flow '{namespace}.{flow_id}' not found")
    if flow.disabled:
        raise not_found(f"Flow '{namespace}.{flow_id}' is disabled")
    trigger = _find_trigger(svc, flow, key)
    if trigger is None:
        raise not_found("Webhook not found")
    if trigger.disabled:
        raise not_found(f"Webhook trigger '{trigger.id}' is disabled")
    state = await svc.repository.triggers.find(namespace, flow_id, trigger.id, tenant=TENANT)
    if state is not None and state.disabled:
        raise not_found(f"Webhook trigger '{trigger.id}' is disabled")
    variables = {
        "body": await _body(request),
        "headers": _multi(request.headers.items()),
        "parameters": _multi(request.query.items()),
    }
    execution_id = inputs.generate_id()
    context = {"flow": {"id": flow.id, "namespace": flow.namespace}, "trigger": variables}
    if trigger.conditions and not _conditions_hold(svc, flow, trigger, context):
        return web.Response(status=204)
    provided = svc.engine.render_typed(trigger.inputs or {}, context) if trigger.inputs else {}
    resolved = await inputs.resolve_flow_inputs(svc, flow, execution_id, provided)
    execution = inputs.new_execution(
        flow,
        execution_id=execution_id,
        inputs=resolved,
        labels=[],
        trigger=ExecutionTrigger(id=trigger.id, type=WEBHOOK_TYPE, variables=variables),
    )
    if not trigger.wait:
        await inputs.submit(svc, execution)
        return json_response(_response(svc, execution))
    final = await inputs.submit_and_wait(svc, execution, svc.settings.wait_timeout)
    if trigger.return_outputs:
        return _outputs_response(final.outputs or {}, trigger.response_content_type)
    return json_response(_response(svc, final))


def _outputs_response(outputs: dict[str, Any], content_type: str) -> web.Response:
    """JSON by default; another type (``text/plain``) answers the single output's value as text."""
    media = content_type.split(";")[0].strip() or "application/json"
    if media == "application/json" or media.endswith("+json") or len(outputs) != 1:
        return web.Response(body=orjson.dumps(outputs), content_type=media)
    (value,) = outputs.values()
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return web.Response(text=text, content_type=media)


def _response(svc: WebServices, execution: Any) -> dict[str, Any]:
    """Kestra's ``WebhookResponse``."""
    return {
        "tenantId": execution.tenant_id,
        "id": execution.id,
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
        "flowRevision": execution.flow_revision,
        "trigger": execution.trigger.to_json_dict() if execution.trigger else None,
        "outputs": execution.outputs,
        "labels": [label.to_json_dict() for label in execution.labels or ()],
        "state": execution.state.to_json_dict(),
        "url": execution_url(svc, execution),
    }


PATH = "/executions/webhook/{namespace}/{id}/{key}"
ROUTES = [
    route(
        method,
        PATH,
        webhook,
        f"Trigger a flow by webhook ({method})",
        "Executions",
        params=(q("any", description="exposed as trigger.parameters"),),
        response=OBJECT,
        statuses=(200, 204, 404),
    )
    for method in ("GET", "POST", "PUT")
]
