"""The OpenAPI document is generated from the route table and covers every route."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from kestra_stream.webserver import api_routes
from kestra_stream.webserver.openapi import openapi_document


def test_every_route_is_documented() -> None:
    routes = api_routes()
    document = openapi_document(routes)
    operations = sum(len(item) for item in document["paths"].values())
    assert operations == len(routes)
    create = document["paths"]["/api/v1/main/executions/{namespace}/{id}"]["post"]
    assert create["requestBody"]["content"]["multipart/form-data"]
    assert {p["name"] for p in create["parameters"]} >= {"namespace", "id", "labels", "wait", "scheduleDate"}
    assert "/api/v1/configs" in document["paths"] and "/ping" in document["paths"]


async def test_served(client: TestClient[object, object]) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    assert (await response.json())["openapi"].startswith("3.")


async def test_unknown_route_is_a_json_404(client: TestClient[object, object]) -> None:
    response = await client.get("/api/v1/main/nothing/here")
    assert response.status == 404
    body = await response.json()
    assert body["message"] and body["_embedded"]["errors"]
