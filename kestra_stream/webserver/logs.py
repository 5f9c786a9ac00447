"""``/logs``: search, by execution, download and follow (SSE: history first, then live lines)."""

from __future__ import annotations

from aiohttp import web

from kestra_stream.models.logs import LogEntry
from kestra_stream.models.task_options import LogLevel
from kestra_stream.repository import Resource, parse_search
from kestra_stream.webserver.errors import invalid
from kestra_stream.webserver.executions import find_execution
from kestra_stream.webserver.followers import subscribed
from kestra_stream.webserver.http import TENANT, attachment, json_response, query_int, services
from kestra_stream.webserver.routing import PAGING, many, paged_of, q, route
from kestra_stream.webserver.sse import open_stream, send_comment, send_event


def _min_level(request: web.Request) -> LogLevel | None:
    value = request.query.get("minLevel")
    if not value:
        return None
    try:
        return LogLevel(value.upper())
    except ValueError:
        raise invalid(f"Invalid minLevel `{value}`") from None


async def _execution_logs(request: web.Request) -> list[LogEntry]:
    return await services(request).repository.logs.find_by_execution(
        request.match_info["executionId"],
        min_level=_min_level(request),
        task_run_id=request.query.get("taskRunId") or None,
        task_id=request.query.get("taskId") or None,
        attempt=query_int(request, "attempt"),
        tenant=TENANT,
    )


async def search_logs(request: web.Request) -> web.Response:
    search = parse_search(request.query, resource=Resource.LOG, tenant=TENANT)
    page = await services(request).repository.logs.search(search)
    return json_response(page)


async def execution_logs(request: web.Request) -> web.Response:
    return json_response(await _execution_logs(request))


def _line(entry: LogEntry) -> str:
    where = " ".join(part for part in (entry.task_id, entry.task_run_id) if part)
    return f"{entry.timestamp} {entry.level.value} {where} {entry.message or ''}".replace("  ", " ")


async def download_logs(request: web.Request) -> web.Response:
    execution_id = request.match_info["executionId"]
    text = "\n".join(_line(entry) for entry in await _execution_logs(request))
    return web.Response(
        text=text + ("\n" if text else ""),
        content_type="text/plain",
        headers={
            "Content-Disposition": attachment(f"{execution_id}.log"),
            "Cache-Control": "no-cache",
        },
    )


def _key(entry: LogEntry) -> tuple[object, ...]:
    return (entry.timestamp, entry.task_run_id, entry.attempt_number, entry.message)


async def follow_logs(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    execution_id = request.match_info["executionId"]
    level = _min_level(request)
    with subscribed(svc.logs.subscribe, execution_id) as live:
        history = await _execution_logs(request)
        seen = {_key(entry) for entry in history}
        for entry in svc.logs.recent(execution_id):
            if _key(entry) not in seen and (level is None or entry.level.severity >= level.severity):
                history.append(entry)
                seen.add(_key(entry))
        history.sort(key=lambda entry: entry.timestamp)
        response = await open_stream(request)
        await send_event(response, "start", {})
        for entry in history:
            await send_event(response, "progress", entry)
        quiet = 0
        while True:
            update = await live.next(2.0)
            if update is None:
                # Kestra keeps the stream open; ending it once the execution is over and quiet
                # lets clients (and tests) finish without waiting for the idle timeout.
                execution = await find_execution(svc, execution_id)
                if execution is not None and execution.state.current.is_terminated():
                    break
                quiet += 1
                if quiet % 7 == 0:
                    await send_comment(response)
                continue
            if _key(update) in seen or (level is not None and update.level.severity < level.severity):
                continue
            await send_event(response, "progress", update)
        await response.write_eof()
        return response


async def delete_logs(request: web.Request) -> web.Response:
    await services(request).repository.logs.delete_by_execution(
        request.match_info["executionId"],
        min_level=_min_level(request),
        task_run_id=request.query.get("taskRunId") or None,
        task_id=request.query.get("taskId") or None,
        attempt=query_int(request, "attempt"),
    )
    return web.Response(status=200)


BY_EXECUTION = (q("minLevel"), q("taskRunId"), q("taskId"), q("attempt", "integer"))
ONE = "/logs/{executionId}"
ROUTES = [
    route(
        "GET",
        "/logs/search",
        search_logs,
        "Search logs",
        "Logs",
        params=(*PAGING, q("filters"), q("q"), q("namespace"), q("flowId"), q("minLevel")),
        response=paged_of(LogEntry),
        statuses=(200, 422),
    ),
    route(
        "GET",
        ONE,
        execution_logs,
        "Logs of an execution",
        "Logs",
        params=BY_EXECUTION,
        response=many(LogEntry),
        statuses=(200, 422),
    ),
    route(
        "DELETE",
        ONE,
        delete_logs,
        "Delete the logs of an execution",
        "Logs",
        params=BY_EXECUTION,
        statuses=(200, 422),
    ),
    route(
        "GET",
        ONE + "/download",
        download_logs,
        "Download the logs of an execution",
        "Logs",
        params=BY_EXECUTION,
        response_type="text/plain",
        response=None,
        statuses=(200, 422),
    ),
    route(
        "GET",
        ONE + "/follow",
        follow_logs,
        "Follow the logs of an execution (SSE)",
        "Logs",
        params=(q("minLevel"),),
        response_type="text/event-stream",
        response=None,
        statuses=(200, 422),
    ),
]
