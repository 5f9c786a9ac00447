"""Logs (search, by execution, download, follow), metrics, KV, namespace files, namespaces,
triggers, plugins, configs."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
from api_backends import Api
from api_helpers import hello_flow, sleep_flow, webhook_flow

MAIN = "/api/v1/main"


async def test_logs(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    created = await api.run(unique, "hello")
    await api.wait_state(created["id"], "SUCCESS")
    logs = await api.eventually(f"{MAIN}/logs/{created['id']}", lambda body: len(body) >= 1)
    assert any(entry["message"] == "hello v1" for entry in logs)
    only_errors = await api.json("GET", f"{MAIN}/logs/{created['id']}?minLevel=ERROR")
    assert only_errors == []
    await api.json("GET", f"{MAIN}/logs/{created['id']}?minLevel=LOUD", expect=422)
    by_task = await api.json("GET", f"{MAIN}/logs/{created['id']}?taskId=log")
    assert [entry["taskId"] for entry in by_task] == ["log"]

    page = await api.eventually(
        f"{MAIN}/logs/search?filters[namespace][EQUALS]={unique}&filters[q][EQUALS]=hello",
        lambda body: body["total"] >= 1,
    )
    assert page["results"][0]["namespace"] == unique
    async with api.request("GET", f"{MAIN}/logs/{created['id']}/download") as response:
        assert response.status == 200
        assert f'filename="{created["id"]}.log"' in response.headers["Content-Disposition"]
        assert "hello v1" in await response.text()


async def test_follow_logs_sse(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    created = await api.run(unique, "hello")
    messages = []
    async with api.request("GET", f"{MAIN}/logs/{created['id']}/follow") as response:
        assert response.status == 200
        event = None
        async for raw in response.content:
            line = raw.decode().strip()
            if line.startswith("id:"):
                event = line[3:].strip()
            elif line.startswith("data:") and event == "progress":
                messages.append(orjson.loads(line[5:])["message"])
    assert "hello v1" in messages


async def test_metrics_of_execution(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    created = await api.run(unique, "hello")
    page = await api.json("GET", f"{MAIN}/metrics/{created['id']}")
    assert set(page) == {"results", "total"}


async def test_kv(api: Api, unique: str) -> None:
    kv = f"{MAIN}/namespaces/{unique}/kv"
    cases = {
        "text": ("hello world", "STRING", "hello world"),
        "quoted": ('"quoted"', "STRING", "quoted"),
        "number": ("42", "NUMBER", 42),
        "flag": ("true", "BOOLEAN", True),
        "doc": ('{"a": [1, 2]}', "JSON", {"a": [1, 2]}),
        "day": ('"2024-01-31"', "DATE", "2024-01-31"),
        "when": ('"2024-01-31T10:00:00Z"', "DATETIME", "2024-01-31T10:00:00Z"),
        "wait": ('"PT5M"', "DURATION", "PT5M"),
    }
    for key, (body, _, _) in cases.items():
        await api.json("PUT", f"{kv}/{key}", data=body, headers={"Content-Type": "text/plain"})
    for key, (_, kind, value) in cases.items():
        assert await api.json("GET", f"{kv}/{key}") == {"type": kind, "value": value}, key
    listed = await api.json("GET", kv)
    assert sorted(entry["key"] for entry in listed) == sorted(cases)

    await api.json("PUT", f"{kv}/short", data="x", headers={"ttl": "PT1S", "description": "brief"})
    entry = next(e for e in await api.json("GET", kv) if e["key"] == "short")
    assert entry["expirationDate"]
    await asyncio.sleep(1.2)
    await api.json("GET", f"{kv}/short", expect=410)
    await api.json("PUT", f"{kv}/bad", data="x", headers={"ttl": "soon"}, expect=422)
    await api.json("GET", f"{kv}/missing", expect=404)
    await api.json("GET", f"{kv}/not valid!", expect=422)

    assert await api.json("DELETE", f"{kv}/text") is True
    assert await api.json("DELETE", f"{kv}/text") is False
    deleted = await api.json("DELETE", kv, json={"keys": ["number", "flag"]})
    assert deleted == {"keys": ["number", "flag"]}
    searched = await api.eventually(
        f"{MAIN}/kv?filters[namespace][EQUALS]={unique}&filters[q][EQUALS]=doc",
        lambda body: body["total"] == 1,
    )
    assert searched["results"][0]["key"] == "doc"


async def test_namespace_files(api: Api, unique: str) -> None:
    files = f"{MAIN}/namespaces/{unique}/files"
    form = aiohttp.FormData()
    form.add_field("fileContent", b"print('hi')", filename="main.py")
    await api.json("POST", files, params={"path": "/scripts/main.py"}, data=form)
    async with api.request("GET", files, params={"path": "/scripts/main.py"}) as response:
        assert await response.read() == b"print('hi')"
    stats = await api.json("GET", f"{files}/stats", params={"path": "/scripts/main.py"})
    assert stats["type"] == "File" and stats["size"] == 11
    await api.json("POST", f"{files}/directory", params={"path": "/empty"})
    listing = await api.json("GET", f"{files}/directory")
    assert [(item["fileName"], item["type"]) for item in listing] == [
        ("empty", "Directory"),
        ("scripts", "Directory"),
    ]
    inner = await api.json("GET", f"{files}/directory", params={"path": "/scripts"})
    assert [item["fileName"] for item in inner] == ["main.py"]
    assert await api.json("GET", f"{files}/search", params={"q": "main"}) == ["scripts/main.py"]
    await api.json("PUT", files, params={"from": "/scripts", "to": "/src"})
    await api.json("GET", f"{files}/stats", params={"path": "/src/main.py"})
    await api.json("GET", f"{files}/stats", params={"path": "/scripts/main.py"}, expect=404)
    async with api.request("GET", f"{files}/export") as response:
        assert response.status == 200 and (await response.read())[:2] == b"PK"
    await api.json("DELETE", files, params={"path": "/src/main.py"}, expect=204)
    await api.json("GET", files, params={"path": "/src/main.py"}, expect=404)
    await api.json("GET", files, expect=400)
    await api.json("GET", files, params={"path": "/../../etc/passwd"}, expect=404)


async def test_namespaces(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(f"{unique}.child"))
    page = await api.eventually(f"{MAIN}/namespaces/search?q={unique}", lambda body: body["total"] >= 2)
    ids = [namespace["id"] for namespace in page["results"]]
    assert unique in ids and f"{unique}.child" in ids
    assert await api.json("GET", f"{MAIN}/namespaces/{unique}") == {"id": unique, "deleted": False}


async def test_triggers(api: Api, unique: str) -> None:
    await api.create_flow(webhook_flow(unique))
    page = await api.json("GET", f"{MAIN}/triggers/search?filters[namespace][EQUALS]={unique}")
    assert set(page) == {"results", "total"}
    await api.json("POST", f"{MAIN}/triggers/{unique}/hooked/hook/unlock", expect=404)
    await api.json("GET", f"{MAIN}/triggers/search?filters[nope][EQUALS]=x", expect=422)
    _ = sleep_flow


async def test_plugins_and_configs(api: Api) -> None:
    plugins = await api.json("GET", "/api/v1/plugins")
    core = next(group for group in plugins if group["group"] == "io.kestra.plugin.core")
    assert "io.kestra.plugin.core.log.Log" in core["tasks"]
    assert "io.kestra.plugin.core.trigger.Webhook" in core["triggers"]
    schema = await api.json("GET", "/api/v1/plugins/schemas/FLOW")
    assert "$defs" in schema
    await api.json("GET", "/api/v1/plugins/schemas/NOPE", expect=404)
    doc = await api.json("GET", "/api/v1/plugins/io.kestra.plugin.core.log.Log")
    assert doc["schema"]["type"] == "io.kestra.plugin.core.log.Log"
    await api.json("GET", "/api/v1/plugins/io.kestra.nope.Nothing", expect=404)
    configs = await api.json("GET", "/api/v1/configs")
    assert configs["isBasicAuthInitialized"] is True and configs["version"]


async def test_stats_latest_and_executable_flows(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    created = await api.run(unique, "hello")
    await api.wait_state(created["id"], "SUCCESS")
    # the SUCCESS state indexed, not only the execution (the index may still hold RUNNING)
    latest = await api.eventually(
        f"{MAIN}/executions/search?filters[namespace][EQUALS]={unique}&filters[state][EQUALS]=SUCCESS",
        lambda body: body["total"] == 1,
    )
    assert latest["total"] == 1
    rows = await api.json("POST", f"{MAIN}/executions/latest", json=[{"namespace": unique, "id": "hello"}])
    assert rows[0]["id"] == created["id"] and rows[0]["status"] == "SUCCESS"
    await api.json("POST", f"{MAIN}/executions/latest", json={"no": "list"}, expect=422)
    days = await api.json("POST", f"{MAIN}/stats/executions/daily", json={"namespace": unique})
    assert sum(day["executionCounts"].get("SUCCESS", 0) for day in days) == 1
    assert unique in await api.json("GET", f"{MAIN}/executions/namespaces")
    flows = await api.json("GET", f"{MAIN}/executions/namespaces/{unique}/flows")
    assert [flow["id"] for flow in flows] == ["hello"]
