"""What the UI's home page and flow list ask for: daily execution statistics and the latest
execution of each flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from kestra_stream.repository import (
    DailyExecutionStatistics,
    Page,
    Resource,
    SearchRequest,
    Sort,
    parse_search,
)
from kestra_stream.repository.filters import FilterField, Op, make_filter
from kestra_stream.webserver.errors import invalid
from kestra_stream.webserver.http import TENANT, json_body, json_response, services
from kestra_stream.webserver.routing import ARRAY, OBJECT, many, route
from kestra_stream.webserver.routing import json_body as json_doc

DEFAULT_DAYS = 30


def _date(body: dict[str, Any], name: str, default: datetime) -> datetime:
    value = body.get(name)
    if not value:
        return default
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"Invalid {name} `{value}`") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _legacy_params(body: dict[str, Any]) -> list[tuple[str, str]]:
    params = [(key, str(body[key])) for key in ("q", "namespace", "flowId") if body.get(key)]
    return params


async def daily_statistics(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise invalid("expected {q, namespace, flowId, startDate, endDate}")
    now = datetime.now(UTC)
    end = _date(body, "endDate", now)
    start = _date(body, "startDate", end - timedelta(days=DEFAULT_DAYS))
    if start > end:
        raise invalid("startDate must be before endDate")
    search = parse_search(_legacy_params(body), resource=Resource.EXECUTION, tenant=TENANT)
    statistics = await services(request).repository.executions.daily_statistics(search, start=start, end=end)
    return json_response(statistics)


async def latest_executions(request: web.Request) -> web.Response:
    """``POST /executions/latest`` with ``[{namespace, id}]``: the newest execution of each flow."""
    body = await json_body(request)
    if not isinstance(body, list):
        raise invalid("expected a list of {namespace, id}")
    repository = services(request).repository.executions
    results = []
    for item in body:
        if not isinstance(item, dict) or not item.get("namespace") or not item.get("id"):
            raise invalid("expected a list of {namespace, id}")
        search = SearchRequest(
            filters=(
                make_filter(FilterField.NAMESPACE, Op.EQUALS, str(item["namespace"])),
                make_filter(FilterField.FLOW_ID, Op.EQUALS, str(item["id"])),
            ),
            sort=(Sort.parse("state.startDate:desc"),),
            page=Page(page=1, size=1),
            tenant=TENANT,
        )
        page = await repository.search(search)
        if page.results:
            execution = page.results[0]
            results.append(
                {
                    "id": execution.id,
                    "namespace": execution.namespace,
                    "flowId": execution.flow_id,
                    "startDate": execution.state.to_json_dict().get("startDate"),
                    "status": execution.state.current.value,
                }
            )
    return json_response(results)


async def executable_namespaces(request: web.Request) -> web.Response:
    namespaces = sorted({flow.source.namespace for flow in services(request).flows.all()})
    return json_response(namespaces)


async def executable_flows(request: web.Request) -> web.Response:
    namespace = request.match_info["namespace"]
    flows = [flow for flow in services(request).flows.all() if flow.source.namespace == namespace]
    return json_response(
        [
            {key: value for key, value in flow.document.items() if key != "source"}
            for flow in sorted(flows, key=lambda flow: flow.source.id)
        ]
    )


STATS_BODY = {
    "type": "object",
    "properties": {
        "q": {"type": "string"},
        "namespace": {"type": "string"},
        "flowId": {"type": "string"},
        "startDate": {"type": "string"},
        "endDate": {"type": "string"},
    },
}
IDS = {"type": "array", "items": {"type": "object"}}
ROUTES = [
    route(
        "POST",
        "/stats/executions/daily",
        daily_statistics,
        "Executions per day",
        "Stats",
        body=json_doc(STATS_BODY),
        response=many(DailyExecutionStatistics),
        statuses=(200, 422),
    ),
    route(
        "POST",
        "/executions/latest",
        latest_executions,
        "Latest execution of each flow",
        "Executions",
        body=json_doc(IDS),
        response=ARRAY,
        statuses=(200, 422),
    ),
    route(
        "GET",
        "/executions/namespaces",
        executable_namespaces,
        "Namespaces with flows",
        "Executions",
        response=ARRAY,
    ),
    route(
        "GET",
        "/executions/namespaces/{namespace}/flows",
        executable_flows,
        "Flows of a namespace",
        "Executions",
        response=ARRAY,
    ),
]
_ = OBJECT
