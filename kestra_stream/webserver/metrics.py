"""``/metrics/{executionId}``: the metric points of an execution (paged)."""

from __future__ import annotations

from aiohttp import web

from kestra_stream.models.logs import MetricEntry
from kestra_stream.repository import parse_page
from kestra_stream.repository.filters import Sort
from kestra_stream.webserver.http import TENANT, json_response, services
from kestra_stream.webserver.routing import PAGING, paged_of, q, route


async def execution_metrics(request: web.Request) -> web.Response:
    page = await services(request).repository.metrics.find_by_execution(
        request.match_info["executionId"],
        task_run_id=request.query.get("taskRunId") or None,
        task_id=request.query.get("taskId") or None,
        page=parse_page(request.query),
        sort=tuple(Sort.parse(value) for value in request.query.getall("sort", []) if value),
        tenant=TENANT,
    )
    return json_response(page)


async def metric_names(request: web.Request) -> web.Response:
    names = await services(request).repository.metrics.names(
        request.match_info["namespace"], request.match_info["flowId"], task_id=None, tenant=TENANT
    )
    return json_response(names)


async def metric_tasks(request: web.Request) -> web.Response:
    task_ids = await services(request).repository.metrics.task_ids(
        request.match_info["namespace"], request.match_info["flowId"], tenant=TENANT
    )
    return json_response(task_ids)


ROUTES = [
    route("GET", "/metrics/names/{namespace}/{flowId}", metric_names, "Metric names of a flow", "Metrics"),
    route("GET", "/metrics/tasks/{namespace}/{flowId}", metric_tasks, "Task ids with metrics", "Metrics"),
    route(
        "GET",
        "/metrics/{executionId}",
        execution_metrics,
        "Metrics of an execution",
        "Metrics",
        params=(*PAGING, q("taskRunId"), q("taskId")),
        response=paged_of(MetricEntry),
        statuses=(200, 422),
    ),
]
