"""``/flows``: CRUD as YAML, validation, graphs, revisions, namespace/bulk updates, export/import,
enable/disable. Writes go to the ``flows`` topic (see :mod:`flow_store`); the latest revisions come
from the process's view of that compacted topic, searches and older revisions from the repository."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from kestra_stream.flows import FlowValidationError, validate_source
from kestra_stream.flows_cache import FlowSource
from kestra_stream.repository import FlowRecord, Page, Resource, parse_search
from kestra_stream.webserver import flow_store
from kestra_stream.webserver.errors import ErrorDetail, flow_violations, invalid, not_found
from kestra_stream.webserver.followers import StoredFlow, flow_document
from kestra_stream.webserver.graph import flow_graph
from kestra_stream.webserver.http import (
    TENANT,
    attachment,
    json_body,
    json_response,
    query_bool,
    query_int,
    read_multipart,
    services,
    text_body,
)
from kestra_stream.webserver.routing import (
    ARRAY,
    OBJECT,
    PAGING,
    Body,
    multipart_body,
    one,
    paged_of,
    q,
    route,
    yaml_body,
)
from kestra_stream.webserver.routing import json_body as json_doc
from kestra_stream.webserver.services import WebServices
from kestra_stream.yaml_loader import load_yaml

FLOW_SCHEMA = one(FlowRecord)
IDS_SCHEMA = {
    "type": "array",
    "items": {"type": "object", "properties": {"namespace": {"type": "string"}, "id": {"type": "string"}}},
}
BULK_SCHEMA = {"type": "object", "properties": {"count": {"type": "integer"}}}


def _record_json(record: FlowRecord) -> dict[str, Any]:
    document: dict[str, Any] = record.model_dump(mode="json", by_alias=True, exclude_none=True)
    if "tasks" not in document and record.source:
        source = FlowSource(
            tenant_id=record.tenant_id or TENANT,
            namespace=record.namespace,
            id=record.id,
            revision=record.revision,
            source=record.source,
            deleted=record.deleted,
        )
        document = {**flow_document(source), **document}
    return document


def _without_source(document: dict[str, Any], keep: bool) -> dict[str, Any]:
    return document if keep else {key: value for key, value in document.items() if key != "source"}


async def _stored_or_revision(request: web.Request, namespace: str, flow_id: str) -> dict[str, Any]:
    svc = services(request)
    revision = query_int(request, "revision")
    allow_deleted = query_bool(request, "allowDeleted", False)
    latest = svc.flows.get(namespace, flow_id, allow_deleted=True)
    if latest is not None and (revision is None or revision == latest.revision):
        if latest.deleted and not allow_deleted:
            raise not_found(f"Flow '{namespace}.{flow_id}' not found")
        return latest.document
    record = await svc.repository.flows.find(
        namespace, flow_id, revision=revision, allow_deleted=allow_deleted, tenant=TENANT
    )
    if record is None:
        raise not_found(
            f"Flow '{namespace}.{flow_id}'" + (f" revision {revision}" if revision else "") + " not found"
        )
    return _record_json(record)


# -- CRUD ----------------------------------------------------------------------------------------------


async def create_flow(request: web.Request) -> web.Response:
    stored = await flow_store.create(services(request), await text_body(request))
    return json_response(stored.document)


async def get_flow(request: web.Request) -> web.Response:
    document = await _stored_or_revision(request, request.match_info["namespace"], request.match_info["id"])
    return json_response(_without_source(document, keep=True))


async def update_flow(request: web.Request) -> web.Response:
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    stored = await flow_store.update(services(request), namespace, flow_id, await text_body(request))
    return json_response(stored.document)


async def delete_flow(request: web.Request) -> web.Response:
    await flow_store.delete(services(request), request.match_info["namespace"], request.match_info["id"])
    return web.Response(status=204)


async def search_flows(request: web.Request) -> web.Response:
    search = parse_search(request.query, resource=Resource.FLOW, tenant=TENANT)
    page = await services(request).repository.flows.search(search)
    return json_response({"results": [_record_json(record) for record in page.results], "total": page.total})


async def list_namespace(request: web.Request) -> web.Response:
    namespace = request.match_info["namespace"]
    flows = sorted(
        (flow for flow in services(request).flows.all() if flow.source.namespace == namespace),
        key=lambda flow: flow.source.id,
    )
    return json_response([flow.document for flow in flows])


async def distinct_namespaces(request: web.Request) -> web.Response:
    text = (request.query.get("q") or "").lower()
    namespaces = sorted({flow.source.namespace for flow in services(request).flows.all()})
    return json_response([namespace for namespace in namespaces if text in namespace.lower()])


async def revisions(request: web.Request) -> web.Response:
    svc = services(request)
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    records = await svc.repository.flows.revisions(namespace, flow_id, tenant=TENANT)
    documents = [_record_json(record) for record in records]
    latest = svc.flows.get(namespace, flow_id, allow_deleted=True)
    if latest is not None and all(doc.get("revision") != latest.revision for doc in documents):
        documents.append(latest.document)  # not indexed yet
    if not documents:
        raise not_found(f"Flow '{namespace}.{flow_id}' not found")
    if not query_bool(request, "allowDelete", False):
        documents = [doc for doc in documents if not doc.get("deleted")]
    return json_response(documents)


# -- validation and graphs ------------------------------------------------------------------------------


async def validate_flows(request: web.Request) -> web.Response:
    svc = services(request)
    source = await _yaml_or_upload(request)
    results = []
    for index, result in enumerate(
        validate_source(source, defaults=svc.flows.defaults, registry=svc.registry)
    ):
        flow = result.flow
        item: dict[str, Any] = {
            "index": index,
            "outdated": False,
            "deprecationPaths": [],
            "warnings": [],
            "infos": [],
        }
        if flow is not None:
            item.update({"flow": flow.id, "namespace": flow.namespace})
            latest = svc.flows.get(flow.namespace, flow.id)
            item["outdated"] = bool(latest and flow.revision and flow.revision < latest.revision)
        if result.violations:
            item["constraints"] = "\n".join(str(violation) for violation in result.violations)
            item["violations"] = [
                {"path": v.path, "message": v.message, "line": v.line, "column": v.column}
                for v in result.violations
            ]
        results.append(item)
    return json_response(results)


async def _yaml_or_upload(request: web.Request) -> str:
    if request.content_type.startswith("multipart/"):
        return "\n---\n".join(part.text() for part in await read_multipart(request))
    return await text_body(request)


async def graph_from_source(request: web.Request) -> web.Response:
    source = await text_body(request)
    flow_store.parse_source(services(request), source)
    document = load_yaml(source)
    return json_response(flow_graph(document if isinstance(document, dict) else {}))


async def flow_graph_route(request: web.Request) -> web.Response:
    document = await _stored_or_revision(request, request.match_info["namespace"], request.match_info["id"])
    return json_response(flow_graph(document))


# -- namespace and bulk updates ----------------------------------------------------------------------------


async def _save_all(
    svc: WebServices, source: str, *, namespace: str | None, allow_child: bool, delete: bool
) -> list[dict[str, Any]]:
    """Kestra's ``FlowController.bulkUpdateOrCreate``: validate every document first, then save
    each; with ``delete`` the namespace's other flows are deleted."""
    documents = [doc for doc in source.split("\n---") if doc.strip()] if source.strip() else []
    parsed = []
    errors: list[ErrorDetail] = []
    for index, document in enumerate(documents):
        try:
            flow = flow_store.parse_source(svc, document)
        except FlowValidationError as error:
            errors.extend(ErrorDetail(f"flow[{index}]: {d.message}", d.path) for d in flow_violations(error))
            continue
        if namespace is not None and not (
            flow.namespace == namespace or (allow_child and flow.namespace.startswith(namespace + "."))
        ):
            errors.append(
                ErrorDetail(f"flow[{index}]: namespace `{flow.namespace}` is not `{namespace}`", "namespace")
            )
        parsed.append((document.strip("\n") + "\n", flow))
    if errors:
        raise invalid("Invalid entity: " + "; ".join(error.message for error in errors), errors)
    saved = [await flow_store.save(svc, document, flow) for document, flow in parsed]
    if delete and namespace is not None:
        kept = {(flow.namespace, flow.id) for _, flow in parsed}
        for stored in svc.flows.all():
            key = (stored.source.namespace, stored.source.id)
            in_scope = stored.source.namespace == namespace or (
                allow_child and stored.source.namespace.startswith(namespace + ".")
            )
            if in_scope and key not in kept:
                await flow_store.delete(svc, *key)
    return [_summary(stored) for stored in saved]


def _summary(stored: StoredFlow) -> dict[str, Any]:
    return {key: value for key, value in stored.document.items() if key != "source"}


async def update_namespace(request: web.Request) -> web.Response:
    saved = await _save_all(
        services(request),
        await text_body(request),
        namespace=request.match_info["namespace"],
        allow_child=False,
        delete=query_bool(request, "delete", True),
    )
    return json_response(saved)


async def bulk_update(request: web.Request) -> web.Response:
    namespace = request.query.get("namespace") or None
    saved = await _save_all(
        services(request),
        await text_body(request),
        namespace=namespace,
        allow_child=query_bool(request, "allowNamespaceChild", False),
        delete=query_bool(request, "delete", True) and namespace is not None,
    )
    return json_response(saved)


# -- by ids / by query -------------------------------------------------------------------------------------


async def _ids(request: web.Request) -> list[StoredFlow]:
    body = await json_body(request)
    if not isinstance(body, list):
        raise invalid("expected a list of {namespace, id}")
    svc = services(request)
    found = []
    for item in body:
        if isinstance(item, dict) and (
            flow := svc.flows.get(str(item.get("namespace")), str(item.get("id")))
        ):
            found.append(flow)
    return found


async def _by_query(request: web.Request) -> AsyncIterator[StoredFlow]:
    svc = services(request)
    search = parse_search(request.query, resource=Resource.FLOW, tenant=TENANT)
    page_number = 1
    while True:
        page = await svc.repository.flows.search(
            type(search)(
                filters=search.filters,
                sort=search.sort,
                page=Page(page=page_number, size=1000),
                tenant=TENANT,
            )
        )
        for record in page.results:
            stored = svc.flows.get(record.namespace, record.id)
            if stored is not None:
                yield stored
        if page_number * 1000 >= page.total or not page.results:
            return
        page_number += 1


async def _collect(request: web.Request, by_ids: bool) -> list[StoredFlow]:
    if by_ids:
        return await _ids(request)
    return [flow async for flow in _by_query(request)]


def _bulk_action(by_ids: bool, action: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        svc = services(request)
        flows = await _collect(request, by_ids)
        for stored in flows:
            if action == "delete":
                await flow_store.delete(svc, stored.source.namespace, stored.source.id)
            else:
                await flow_store.set_disabled(svc, stored, action == "disable")
        return json_response({"count": len(flows)})

    return handler


def _zip(flows: list[StoredFlow]) -> web.Response:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for stored in flows:
            archive.writestr(f"{stored.source.namespace}.{stored.source.id}.yml", stored.source.source)
    return web.Response(
        body=buffer.getvalue(),
        content_type="application/octet-stream",
        headers={"Content-Disposition": attachment("flows.zip")},
    )


async def export_by_query(request: web.Request) -> web.Response:
    return _zip(await _collect(request, by_ids=False))


async def export_by_ids(request: web.Request) -> web.Response:
    return _zip(await _collect(request, by_ids=True))


async def import_flows(request: web.Request) -> web.Response:
    svc = services(request)
    fail_on_error = query_bool(request, "failOnError", False)
    files: list[tuple[str, str]] = []
    for part in await read_multipart(request):
        data, name = part.data, part.filename or "upload.yml"
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                files.extend(
                    (entry, archive.read(entry).decode())
                    for entry in archive.namelist()
                    if entry.endswith((".yml", ".yaml"))
                )
        else:
            text = part.text()
            files.extend(
                (f"{name}[{index}]", doc) for index, doc in enumerate(text.split("\n---")) if doc.strip()
            )
    failed = []
    for name, source in files:
        try:
            flow = flow_store.parse_source(svc, source)
            await flow_store.save(svc, source.strip("\n") + "\n", flow)
        except FlowValidationError as error:
            if fail_on_error:
                raise invalid(f"Invalid flow `{name}`", flow_violations(error)) from None
            failed.append(name)
    return json_response(failed)


FLOW_PATH = "/flows/{namespace}/{id}"
FILTERS = (q("filters", description="filters[field][OP]=value"), q("q"), q("namespace"))

ROUTES = [
    route(
        "POST",
        "/flows",
        create_flow,
        "Create a flow from YAML",
        "Flows",
        body=yaml_body(),
        response=FLOW_SCHEMA,
        statuses=(200, 422),
    ),
    route(
        "GET",
        "/flows/search",
        search_flows,
        "Search flows",
        "Flows",
        params=(*PAGING, *FILTERS),
        response=paged_of(FlowRecord),
    ),
    route(
        "GET",
        "/flows/distinct-namespaces",
        distinct_namespaces,
        "Namespaces with flows",
        "Flows",
        params=(q("q"),),
        response=ARRAY,
    ),
    route(
        "POST",
        "/flows/validate",
        validate_flows,
        "Validate flows (multi-document YAML)",
        "Flows",
        body=yaml_body(),
        response=ARRAY,
    ),
    route(
        "POST",
        "/flows/graph",
        graph_from_source,
        "Graph of a flow source",
        "Flows",
        body=yaml_body(),
        response=OBJECT,
        statuses=(200, 422),
    ),
    route(
        "POST",
        "/flows/bulk",
        bulk_update,
        "Create or update many flows",
        "Flows",
        body=yaml_body(False),
        params=(q("delete", "boolean"), q("namespace"), q("allowNamespaceChild", "boolean")),
        response=ARRAY,
    ),
    route(
        "GET",
        "/flows/export/by-query",
        export_by_query,
        "Export flows as a ZIP",
        "Flows",
        params=FILTERS,
        response_type="application/octet-stream",
        response=None,
    ),
    route(
        "POST",
        "/flows/export/by-ids",
        export_by_ids,
        "Export flows as a ZIP",
        "Flows",
        body=json_doc(IDS_SCHEMA),
        response_type="application/octet-stream",
        response=None,
    ),
    route(
        "POST",
        "/flows/import",
        import_flows,
        "Import flows (ZIP or YAML)",
        "Flows",
        body=multipart_body(),
        params=(q("failOnError", "boolean"),),
        response=ARRAY,
    ),
    route(
        "DELETE",
        "/flows/delete/by-ids",
        _bulk_action(True, "delete"),
        "Delete flows",
        "Flows",
        body=json_doc(IDS_SCHEMA),
        response=BULK_SCHEMA,
    ),
    route(
        "DELETE",
        "/flows/delete/by-query",
        _bulk_action(False, "delete"),
        "Delete flows",
        "Flows",
        params=FILTERS,
        response=BULK_SCHEMA,
    ),
    route(
        "POST",
        "/flows/disable/by-ids",
        _bulk_action(True, "disable"),
        "Disable flows",
        "Flows",
        body=json_doc(IDS_SCHEMA),
        response=BULK_SCHEMA,
    ),
    route(
        "POST",
        "/flows/disable/by-query",
        _bulk_action(False, "disable"),
        "Disable flows",
        "Flows",
        params=FILTERS,
        response=BULK_SCHEMA,
    ),
    route(
        "POST",
        "/flows/enable/by-ids",
        _bulk_action(True, "enable"),
        "Enable flows",
        "Flows",
        body=json_doc(IDS_SCHEMA),
        response=BULK_SCHEMA,
    ),
    route(
        "POST",
        "/flows/enable/by-query",
        _bulk_action(False, "enable"),
        "Enable flows",
        "Flows",
        params=FILTERS,
        response=BULK_SCHEMA,
    ),
    route("GET", "/flows/{namespace}", list_namespace, "Flows of a namespace", "Flows", response=ARRAY),
    route(
        "POST",
        "/flows/{namespace}",
        update_namespace,
        "Replace the flows of a namespace",
        "Flows",
        body=yaml_body(False),
        params=(q("delete", "boolean"), q("override", "boolean")),
        response=ARRAY,
        statuses=(200, 422),
    ),
    route(
        "GET",
        FLOW_PATH,
        get_flow,
        "Get a flow",
        "Flows",
        params=(q("source", "boolean"), q("revision", "integer"), q("allowDeleted", "boolean")),
        response=FLOW_SCHEMA,
        statuses=(200, 404),
    ),
    route(
        "PUT",
        FLOW_PATH,
        update_flow,
        "Update a flow from YAML",
        "Flows",
        body=yaml_body(),
        response=FLOW_SCHEMA,
        statuses=(200, 404, 422),
    ),
    route("DELETE", FLOW_PATH, delete_flow, "Delete a flow", "Flows", statuses=(204, 404)),
    route(
        "GET",
        FLOW_PATH + "/graph",
        flow_graph_route,
        "Graph of a flow",
        "Flows",
        params=(q("revision", "integer"),),
        response=OBJECT,
        statuses=(200, 404),
    ),
    route(
        "GET",
        FLOW_PATH + "/revisions",
        revisions,
        "Revisions of a flow",
        "Flows",
        params=(q("allowDelete", "boolean"),),
        response=ARRAY,
        statuses=(200, 404),
    ),
]
_ = Body
