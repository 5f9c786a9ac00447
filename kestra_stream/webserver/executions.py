"""``/executions``: create (multipart inputs, labels, scheduleDate, wait), get, search, delete,
follow (SSE), files, graph. Reads come from the repository, or from the local view of
execution-states while it holds a fresher snapshot; writes are messages on ``executions``."""

from __future__ import annotations

import asyncio
import posixpath
from typing import Any

from aiohttp import web

from kestra_stream.flows import Flow
from kestra_stream.models.execution import Execution
from kestra_stream.repository import Resource, parse_search
from kestra_stream.storage import execution_prefix, is_storage_uri, storage_path
from kestra_stream.webserver import execution_inputs as inputs
from kestra_stream.webserver import file_preview
from kestra_stream.webserver.errors import conflict, invalid, not_found
from kestra_stream.webserver.followers import subscribed
from kestra_stream.webserver.graph import flow_graph
from kestra_stream.webserver.http import (
    TENANT,
    attachment,
    json_response,
    query_bool,
    query_int,
    required_query,
    services,
)
from kestra_stream.webserver.input_forms import (
    VALIDATION_SCHEMA,
    UploadedName,
    input_states,
    validation_response,
)
from kestra_stream.webserver.routing import (
    OBJECT,
    PAGING,
    multipart_body,
    one,
    paged_of,
    q,
    route,
)
from kestra_stream.webserver.services import WebServices
from kestra_stream.webserver.sse import open_stream, send_comment, send_event

EXECUTION_SCHEMA = one(Execution)
PREVIEW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "extension": {"type": "string"},
        "type": {"type": "string", "enum": ["TEXT", "LIST", "IMAGE", "MARKDOWN"]},
        "content": {},
        "maxLine": {"type": "integer"},
        "truncated": {"type": "boolean"},
    },
}


async def find_execution(services: WebServices, execution_id: str) -> Execution | None:
    local = services.executions.get(execution_id)
    if local is not None:
        return local
    return await services.repository.executions.find_by_id(execution_id, tenant=TENANT)


async def existing_execution(request: web.Request) -> Execution:
    execution_id = request.match_info["executionId"]
    found = await find_execution(services(request), execution_id)
    if found is None:
        raise not_found(f"Execution '{execution_id}' not found")
    return found


def execution_url(services: WebServices, execution: Execution) -> str:
    base = services.settings.url.rstrip("/")
    return f"{base}/ui/{TENANT}/executions/{execution.namespace}/{execution.flow_id}/{execution.id}"


def with_url(services: WebServices, execution: Execution) -> dict[str, Any]:
    return {**execution.to_json_dict(), "url": execution_url(services, execution)}


async def executable_flow(services: WebServices, namespace: str, flow_id: str, revision: int | None) -> Flow:
    stored = services.flows.get(namespace, flow_id)
    if stored is None:
        raise not_found(f"Flow '{namespace}.{flow_id}' not found")
    if revision is not None and revision != stored.revision:
        record = await services.repository.flows.find(namespace, flow_id, revision=revision, tenant=TENANT)
        if record is None or record.source is None:
            raise not_found(f"Flow '{namespace}.{flow_id}' revision {revision} not found")
        from kestra_stream.flows import parse_flow

        flow = parse_flow(record.source, defaults=services.flows.defaults).model_copy(
            update={"revision": revision}
        )
    else:
        parsed = services.flows.parsed(stored)
        if parsed is None:
            raise conflict(f"Flow '{namespace}.{flow_id}' is invalid and cannot be executed")
        flow = parsed
    if flow.disabled:
        raise conflict("Cannot execute a disabled flow")
    return flow


# -- create -----------------------------------------------------------------------------------------------


async def create_execution(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    flow = await executable_flow(svc, namespace, flow_id, query_int(request, "revision"))
    labels = inputs.parse_labels(request.query.getall("labels", []))
    schedule_date = inputs.parse_schedule_date(request.query.get("scheduleDate"))
    kind = inputs.parse_kind(request.query.get("kind"))
    execution_id = inputs.generate_id()
    provided = await inputs.read_form(request, input_ids=input_ids(flow))
    resolved = await inputs.resolve_flow_inputs(svc, flow, execution_id, provided)
    execution = inputs.new_execution(
        flow,
        execution_id=execution_id,
        inputs=resolved,
        labels=labels,
        schedule_date=schedule_date,
        kind=kind,
    )
    if query_bool(request, "wait", False):
        execution = await inputs.submit_and_wait(svc, execution, svc.settings.wait_timeout)
    else:
        await inputs.submit(svc, execution)
    return json_response(with_url(svc, execution))


async def validate_inputs(request: web.Request) -> web.Response:
    """The run form's check: every input with its state (``enabled`` from ``dependsOn``, dynamic
    SELECT values, value or errors); nothing is created (``input_forms.py``)."""
    svc = services(request)
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    flow = await executable_flow(svc, namespace, flow_id, query_int(request, "revision"))
    states = input_states(
        flow.inputs or [],
        form_values(await inputs.read_form(request, input_ids=input_ids(flow))),
        render=lambda value, variables: svc.engine.render_typed(value, variables),
        variables={"flow": {"id": flow.id, "namespace": flow.namespace}},
    )
    return json_response(validation_response(flow_id, namespace, states))


def input_ids(flow: Flow) -> frozenset[str]:
    return frozenset(item.id for item in flow.inputs or ())


def form_values(values: dict[str, Any]) -> dict[str, Any]:
    """A form's values for a validation: file parts stand for their names (nothing is stored)."""
    return {
        key: UploadedName(value.filename) if isinstance(value, inputs.UploadedFile) else value
        for key, value in values.items()
    }


# -- reads ------------------------------------------------------------------------------------------------


async def get_execution(request: web.Request) -> web.Response:
    return json_response((await existing_execution(request)).to_json_dict())


async def search_executions(request: web.Request) -> web.Response:
    search = parse_search(request.query, resource=Resource.EXECUTION, tenant=TENANT)
    page = await services(request).repository.executions.search(search)
    return json_response({"results": [e.to_json_dict() for e in page.results], "total": page.total})


async def list_by_flow(request: web.Request) -> web.Response:
    required_query(request, "namespace")
    required_query(request, "flowId")
    return await search_executions(request)


async def delete_execution(request: web.Request) -> web.Response:
    svc = services(request)
    execution = await existing_execution(request)
    if not execution.state.current.is_terminated():
        raise conflict("Execution is not terminated: kill it before deleting it")
    await delete_terminated(
        svc,
        execution,
        logs=query_bool(request, "deleteLogs", True),
        storage=query_bool(request, "deleteStorage", True),
    )
    return web.Response(status=204)


async def delete_terminated(svc: WebServices, execution: Execution, *, logs: bool, storage: bool) -> None:
    svc.executions.forget(execution.id)
    await svc.repository.executions.delete(execution.id)
    if logs:
        await svc.repository.logs.delete_by_execution(execution.id)
    if storage:
        prefix = execution_prefix(
            namespace=execution.namespace, flow_id=execution.flow_id, execution_id=execution.id
        )
        await asyncio.to_thread(svc.storage.delete_prefix, "kestra://" + prefix)


# -- follow (SSE) ------------------------------------------------------------------------------------------


async def _wait_until_exists(svc: WebServices, execution_id: str) -> Execution | None:
    deadline = asyncio.get_running_loop().time() + svc.settings.follow_existence_timeout
    while True:
        found = await find_execution(svc, execution_id)
        if found is not None or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def follow_execution(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    execution_id = request.match_info["executionId"]
    with subscribed(svc.executions.subscribe, execution_id) as updates:
        current = await _wait_until_exists(svc, execution_id)
        if current is None:
            raise not_found(f"Execution '{execution_id}' not found")
        response = await open_stream(request)
        await send_event(response, "start", {"id": execution_id})
        await send_event(response, "progress", current.to_json_dict())
        while not current.state.current.is_terminated():
            update = await updates.next(15.0)
            if update is None:
                await send_comment(response)
                continue
            current = update
            await send_event(response, "progress", current.to_json_dict())
        await send_event(response, "end", current.to_json_dict())
        await response.write_eof()
        return response


# -- files ----------------------------------------------------------------------------------------------


def _execution_file(request: web.Request, execution: Execution) -> str:
    path = required_query(request, "path")
    if not is_storage_uri(path):
        raise invalid(f"Invalid path `{path}`: only kestra:/// URIs can be read")
    prefix = execution_prefix(
        namespace=execution.namespace, flow_id=execution.flow_id, execution_id=execution.id
    )
    normalized = posixpath.normpath(storage_path(path))
    if not normalized.startswith(prefix + "/"):
        raise invalid(f"Path `{path}` does not belong to execution '{execution.id}'")
    return "kestra://" + normalized


async def download_file(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    uri = _execution_file(request, await existing_execution(request))
    size = await asyncio.to_thread(svc.storage.size, uri)
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": attachment(posixpath.basename(uri)),
            "Content-Length": str(size),
        }
    )
    await response.prepare(request)
    with svc.storage.get(uri) as stream:
        while chunk := await asyncio.to_thread(stream.read, 1024 * 1024):
            await response.write(chunk)
    await response.write_eof()
    return response


async def file_metas(request: web.Request) -> web.Response:
    svc = services(request)
    uri = _execution_file(request, await existing_execution(request))
    return json_response({"size": await asyncio.to_thread(svc.storage.size, uri)})


async def preview_file(request: web.Request) -> web.Response:
    """Kestra's ``previewFileFromExecution``: the first rows of a file (``file_preview.py``);
    ``maxRows`` defaults to ``kestra.server.preview.initial-rows``, capped at ``max-rows``."""
    svc = services(request)
    uri = _execution_file(request, await existing_execution(request))
    settings = svc.settings
    max_rows = query_int(request, "maxRows")
    if max_rows is not None and max_rows < 1:
        raise invalid(f"`maxRows` must be at least 1, got `{max_rows}`")
    rows = settings.preview_initial_rows if max_rows is None else min(max_rows, settings.preview_max_rows)
    encoding = file_preview.checked_encoding(request.query.get("encoding") or "UTF-8")

    def read() -> dict[str, Any]:
        with svc.storage.get(uri) as stream:
            return file_preview.render(
                stream, extension=file_preview.extension_of(uri), encoding=encoding, max_rows=rows
            )

    return json_response(await asyncio.to_thread(read))


# -- flow of an execution ----------------------------------------------------------------------------------


async def _flow_document(
    svc: WebServices, namespace: str, flow_id: str, revision: int | None
) -> dict[str, Any]:
    stored = svc.flows.get(namespace, flow_id, allow_deleted=True)
    if stored is not None and (revision is None or stored.revision == revision):
        return stored.document
    record = await svc.repository.flows.find(
        namespace, flow_id, revision=revision, allow_deleted=True, tenant=TENANT
    )
    if record is None:
        if stored is not None:
            return stored.document
        raise not_found(f"Flow '{namespace}.{flow_id}' not found")
    from kestra_stream.webserver.flows import _record_json

    return _record_json(record)


async def execution_graph(request: web.Request) -> web.Response:
    execution = await existing_execution(request)
    document = await _flow_document(
        services(request), execution.namespace, execution.flow_id, execution.flow_revision
    )
    return json_response(flow_graph(document))


async def execution_flow(request: web.Request) -> web.Response:
    execution = await existing_execution(request)
    return json_response(
        await _flow_document(
            services(request), execution.namespace, execution.flow_id, execution.flow_revision
        )
    )


async def flow_for_execution(request: web.Request) -> web.Response:
    return json_response(
        await _flow_document(
            services(request),
            request.match_info["namespace"],
            request.match_info["flowId"],
            query_int(request, "revision"),
        )
    )


EXECUTION_FILTERS = (
    q("filters", description="filters[field][OP]=value"),
    q("q"),
    q("namespace"),
    q("flowId"),
    q("state", repeated=True),
    q("labels", repeated=True),
    q("startDate"),
    q("endDate"),
    q("timeRange"),
)
ONE = "/executions/{executionId}"

ROUTES = [
    route(
        "GET",
        "/executions/search",
        search_executions,
        "Search executions",
        "Executions",
        params=(*PAGING, *EXECUTION_FILTERS),
        response=paged_of(Execution),
        statuses=(200, 422),
    ),
    route(
        "GET",
        "/executions",
        list_by_flow,
        "Executions of a flow",
        "Executions",
        params=(q("namespace", required=True), q("flowId", required=True), *PAGING),
        response=paged_of(Execution),
        statuses=(200, 400),
    ),
    route(
        "GET",
        "/executions/flows/{namespace}/{flowId}",
        flow_for_execution,
        "Flow for executions",
        "Executions",
        params=(q("revision", "integer"),),
        response=OBJECT,
        statuses=(200, 404),
    ),
    route(
        "GET",
        ONE,
        get_execution,
        "Get an execution",
        "Executions",
        response=EXECUTION_SCHEMA,
        statuses=(200, 404),
    ),
    route(
        "DELETE",
        ONE,
        delete_execution,
        "Delete an execution",
        "Executions",
        params=(q("deleteLogs", "boolean"), q("deleteMetrics", "boolean"), q("deleteStorage", "boolean")),
        statuses=(204, 404, 409),
    ),
    route(
        "GET",
        ONE + "/follow",
        follow_execution,
        "Follow an execution (SSE)",
        "Executions",
        response_type="text/event-stream",
        response=None,
        statuses=(200, 404),
    ),
    route(
        "GET",
        ONE + "/file",
        download_file,
        "Download a file of an execution",
        "Executions",
        params=(q("path", required=True),),
        response_type="application/octet-stream",
        response=None,
        statuses=(200, 404, 422),
    ),
    route(
        "GET",
        ONE + "/file/metas",
        file_metas,
        "Size of a file of an execution",
        "Executions",
        params=(q("path", required=True),),
        response=OBJECT,
        statuses=(200, 404, 422),
    ),
    route(
        "GET",
        ONE + "/file/preview",
        preview_file,
        "Preview the first rows of a file of an execution",
        "Executions",
        params=(
            q("path", required=True),
            q("maxRows", "integer", description="rows (default 100, at most 5000)"),
            q("encoding", description="charset of text files (UTF-8)"),
        ),
        response=PREVIEW_SCHEMA,
        statuses=(200, 400, 404, 422),
    ),
    route(
        "GET",
        ONE + "/graph",
        execution_graph,
        "Graph of an execution's flow",
        "Executions",
        response=OBJECT,
        statuses=(200, 404),
    ),
    route(
        "GET",
        ONE + "/flow",
        execution_flow,
        "Flow of an execution",
        "Executions",
        response=OBJECT,
        statuses=(200, 404),
    ),
]

CREATE_ROUTES = [
    route(
        "POST",
        "/executions/{namespace}/{id}/validate",
        validate_inputs,
        "Validate the inputs of a run",
        "Executions",
        params=(q("revision", "integer"),),
        body=multipart_body(),
        response=VALIDATION_SCHEMA,
        statuses=(200, 404, 409),
    ),
    route(
        "POST",
        "/executions/{namespace}/{id}",
        create_execution,
        "Create an execution",
        "Executions",
        params=(
            q("labels", repeated=True),
            q("wait", "boolean"),
            q("revision", "integer"),
            q("scheduleDate"),
            q("breakpoints"),
            q("kind", enum=("NORMAL", "TEST", "PLAYGROUND")),
        ),
        body=multipart_body(),
        response=EXECUTION_SCHEMA,
        statuses=(200, 404, 409, 422),
    ),
    route(
        "POST",
        "/executions/trigger/{namespace}/{id}",
        create_execution,
        "Create an execution (deprecated)",
        "Executions",
        params=(q("labels", repeated=True), q("wait", "boolean")),
        body=multipart_body(),
        response=EXECUTION_SCHEMA,
        statuses=(200, 404, 409, 422),
    ),
]
