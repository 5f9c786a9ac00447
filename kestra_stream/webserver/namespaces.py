"""``/namespaces``: search (derived from flows and KV, Kestra OSS has no namespace entity) and the
namespace stub."""

from __future__ import annotations

from aiohttp import web

from kestra_stream.repository import Namespace, parse_page
from kestra_stream.webserver.http import TENANT, json_response, query_bool, services
from kestra_stream.webserver.routing import PAGING, one, paged_of, q, route


async def search_namespaces(request: web.Request) -> web.Response:
    page = await services(request).repository.namespaces.search(
        q=request.query.get("q") or None,
        page=parse_page(request.query),
        existing_only=query_bool(request, "existing", False),
        tenant=TENANT,
    )
    return json_response(page)


async def get_namespace(request: web.Request) -> web.Response:
    return json_response({"id": request.match_info["id"], "deleted": False})


ROUTES = [
    route(
        "GET",
        "/namespaces/search",
        search_namespaces,
        "Search namespaces",
        "Namespaces",
        params=(*PAGING, q("q"), q("existing", "boolean")),
        response=paged_of(Namespace),
        statuses=(200, 422),
    ),
    route("GET", "/namespaces/{id}", get_namespace, "A namespace", "Namespaces", response=one(Namespace)),
]
