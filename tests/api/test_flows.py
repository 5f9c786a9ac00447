"""Flows: CRUD as YAML, validation errors in Kestra's shape, revisions, graph, bulk and namespace
updates, export/import, enable/disable, legacy paths."""

from __future__ import annotations

import io
import zipfile

import aiohttp
from api_backends import Api
from api_helpers import YAML, hello_flow


async def test_create_get_update_delete(api: Api, unique: str) -> None:
    created = await api.create_flow(hello_flow(unique))
    assert (created["namespace"], created["id"], created["revision"]) == (unique, "hello", 1)
    assert created["source"].startswith("id: hello")
    assert created["tasks"][0]["type"] == "io.kestra.plugin.core.log.Log"

    fetched = await api.json("GET", f"/api/v1/main/flows/{unique}/hello")
    assert fetched["revision"] == 1

    updated = await api.json(
        "PUT", f"/api/v1/main/flows/{unique}/hello", data=hello_flow(unique, "v2"), headers=YAML
    )
    assert updated["revision"] == 2
    same = await api.json(
        "PUT", f"/api/v1/main/flows/{unique}/hello", data=hello_flow(unique, "v2"), headers=YAML
    )
    assert same["revision"] == 2, "an unchanged source is not a new revision"

    await api.json("DELETE", f"/api/v1/main/flows/{unique}/hello", expect=204)
    await api.json("GET", f"/api/v1/main/flows/{unique}/hello", expect=404)
    await api.json("DELETE", f"/api/v1/main/flows/{unique}/hello", expect=404)
    recreated = await api.create_flow(hello_flow(unique))
    assert recreated["revision"] == 4, "a deleted flow continues its history"


async def test_invalid_yaml_is_422_with_path(api: Api, unique: str) -> None:
    source = f"id: bad\nnamespace: {unique}\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
    error = await api.json("POST", "/api/v1/main/flows", data=source, headers=YAML, expect=422)
    assert "message" in error["message"] or "message" in str(error)
    paths = [item.get("path") for item in error["_embedded"]["errors"]]
    assert any(path and path.startswith("tasks[0]") for path in paths), error

    broken = await api.json("POST", "/api/v1/main/flows", data="id: [unclosed", headers=YAML, expect=422)
    assert broken["_embedded"]["errors"]


async def test_duplicate_and_unknown(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    duplicate = await api.json(
        "POST", "/api/v1/main/flows", data=hello_flow(unique), headers=YAML, expect=422
    )
    assert "already exists" in duplicate["message"]
    await api.json("GET", f"/api/v1/main/flows/{unique}/nope", expect=404)
    await api.json(
        "PUT", f"/api/v1/main/flows/{unique}/nope", data=hello_flow(unique), headers=YAML, expect=404
    )
    other = await api.json(
        "PUT", f"/api/v1/main/flows/{unique}/hello", data=hello_flow(unique + "x"), headers=YAML, expect=422
    )
    assert other["_embedded"]["errors"][0]["path"] == "id"


async def test_search_revisions_graph_and_legacy_alias(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    await api.json("PUT", f"/api/v1/main/flows/{unique}/hello", data=hello_flow(unique, "v2"), headers=YAML)
    page = await api.eventually(
        f"/api/v1/main/flows/search?filters[namespace][EQUALS]={unique}",
        lambda body: body["total"] == 1 and body["results"][0]["revision"] == 2,
    )
    assert page["results"][0]["id"] == "hello"
    revisions = await api.eventually(
        f"/api/v1/main/flows/{unique}/hello/revisions", lambda body: len(body) == 2
    )
    assert [r["revision"] for r in revisions] == [1, 2]
    first = await api.json("GET", f"/api/v1/main/flows/{unique}/hello?revision=1")
    assert "v1" in first["source"]

    graph = await api.json("GET", f"/api/v1/main/flows/{unique}/hello/graph")
    uids = {node["uid"] for node in graph["nodes"]}
    assert {"root.root", "root.end", "log"} <= uids
    assert {"source": "root.root", "target": "log", "relation": {"relationType": "SEQUENTIAL"}} in graph[
        "edges"
    ]

    legacy = await api.json("GET", f"/api/v1/flows/{unique}/hello")
    assert legacy["revision"] == 2
    listed = await api.json("GET", f"/api/v1/main/flows/{unique}")
    assert [flow["id"] for flow in listed] == ["hello"]
    namespaces = await api.json("GET", f"/api/v1/main/flows/distinct-namespaces?q={unique}")
    assert namespaces == [unique]


async def test_validate(api: Api, unique: str) -> None:
    source = hello_flow(unique) + "---\n" + f"id: broken\nnamespace: {unique}\ntasks: []\n"
    results = await api.json("POST", "/api/v1/main/flows/validate", data=source, headers=YAML)
    assert len(results) == 2
    assert results[0]["flow"] == "hello" and "constraints" not in results[0]
    assert "tasks" in results[1]["constraints"]

    graph = await api.json("POST", "/api/v1/main/flows/graph", data=hello_flow(unique), headers=YAML)
    assert any(node["uid"] == "log" for node in graph["nodes"])


async def test_namespace_update_deletes_missing(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique, flow_id="old"))
    body = hello_flow(unique, flow_id="a") + "---\n" + hello_flow(unique, flow_id="b")
    saved = await api.json("POST", f"/api/v1/main/flows/{unique}", data=body, headers=YAML)
    assert sorted(flow["id"] for flow in saved) == ["a", "b"]
    await api.json("GET", f"/api/v1/main/flows/{unique}/old", expect=404)

    kept = await api.json(
        "POST",
        f"/api/v1/main/flows/{unique}?delete=false",
        data=hello_flow(unique, flow_id="c"),
        headers=YAML,
    )
    assert [flow["id"] for flow in kept] == ["c"]
    await api.json("GET", f"/api/v1/main/flows/{unique}/a")

    wrong = await api.json(
        "POST", f"/api/v1/main/flows/{unique}", data=hello_flow(unique + ".other"), headers=YAML, expect=422
    )
    assert "namespace" in wrong["message"]


async def test_bulk_export_import_disable(api: Api, unique: str) -> None:
    body = hello_flow(unique, flow_id="a") + "---\n" + hello_flow(unique, flow_id="b")
    saved = await api.json("POST", "/api/v1/main/flows/bulk", data=body, headers=YAML)
    assert len(saved) == 2

    ids = [{"namespace": unique, "id": "a"}, {"namespace": unique, "id": "b"}]
    async with api.request("POST", "/api/v1/main/flows/export/by-ids", json=ids) as response:
        assert response.status == 200
        archive = zipfile.ZipFile(io.BytesIO(await response.read()))
    assert sorted(archive.namelist()) == [f"{unique}.a.yml", f"{unique}.b.yml"]

    disabled = await api.json("POST", "/api/v1/main/flows/disable/by-ids", json=ids[:1])
    assert disabled == {"count": 1}
    flow = await api.json("GET", f"/api/v1/main/flows/{unique}/a")
    assert flow["disabled"] is True
    await api.json("POST", f"/api/v1/main/executions/{unique}/a", expect=409)
    await api.json("POST", "/api/v1/main/flows/enable/by-ids", json=ids[:1])
    assert (await api.json("GET", f"/api/v1/main/flows/{unique}/a"))["disabled"] is False

    form = aiohttp.FormData()
    form.add_field("fileUpload", hello_flow(unique, flow_id="imported").encode(), filename="flows.yml")
    failed = await api.json("POST", "/api/v1/main/flows/import", data=form)
    assert failed == []
    await api.json("GET", f"/api/v1/main/flows/{unique}/imported")

    deleted = await api.json("DELETE", "/api/v1/main/flows/delete/by-ids", json=ids)
    assert deleted == {"count": 2}
    await api.json("GET", f"/api/v1/main/flows/{unique}/b", expect=404)
