"""Executions: create (multipart inputs with files, labels, scheduleDate, wait), get, search,
delete, kill (409 once finished), restart, replay, pause/resume with inputs, follow (SSE), files,
webhooks, labels and status edits, bulk actions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson
from api_backends import Api
from api_helpers import fail_flow, hello_flow, inputs_flow, pause_flow, sleep_flow, webhook_flow

BASE = "/api/v1/main/executions"


async def test_create_with_inputs_file_labels_and_wait(api: Api, unique: str) -> None:
    await api.create_flow(inputs_flow(unique))
    form = aiohttp.FormData()
    form.add_field("name", "bob")
    form.add_field("count", "3")
    form.add_field("file", b"file content", filename="data.txt")
    execution = await api.json(
        "POST", f"{BASE}/{unique}/inputs", params=[("wait", "true"), ("labels", "env:prod")], data=form
    )
    assert execution["state"]["current"] == "SUCCESS", execution
    assert execution["inputs"]["name"] == "bob" and execution["inputs"]["count"] == 3
    assert execution["outputs"] == {"greeting": "hi bob"}
    assert execution["url"].endswith(f"/ui/main/executions/{unique}/inputs/{execution['id']}")
    labels = {label["key"]: label["value"] for label in execution["labels"]}
    assert labels["env"] == "prod" and labels["team"] == "data"

    file_uri = execution["inputs"]["file"]
    assert file_uri.startswith("kestra:///") and file_uri.endswith("/data.txt")
    async with api.request("GET", f"{BASE}/{execution['id']}/file", params={"path": file_uri}) as response:
        assert response.status == 200
        assert await response.read() == b"file content"
    metas = await api.json("GET", f"{BASE}/{execution['id']}/file/metas", params={"path": file_uri})
    assert metas == {"size": 12}
    await api.json("GET", f"{BASE}/{execution['id']}/file", params={"path": "/etc/passwd"}, expect=422)
    other = file_uri.replace(execution["id"], "someoneElse")
    await api.json("GET", f"{BASE}/{execution['id']}/file", params={"path": other}, expect=422)


async def test_create_errors(api: Api, unique: str) -> None:
    await api.create_flow(inputs_flow(unique))
    error = await api.json("POST", f"{BASE}/{unique}/inputs", expect=422)
    assert "name" in error["message"]
    form = aiohttp.FormData()
    form.add_field("name", "bob")
    form.add_field("count", "not a number")
    error = await api.json("POST", f"{BASE}/{unique}/inputs", data=form, expect=422)
    assert "count" in error["message"]
    await api.json("POST", f"{BASE}/{unique}/unknown", expect=404)
    await api.json("POST", f"{BASE}/{unique}/inputs", params={"labels": "nocolon"}, expect=422)
    await api.json("POST", f"{BASE}/{unique}/inputs", params={"scheduleDate": "tomorrow"}, expect=422)
    await api.json("GET", f"{BASE}/doesNotExist", expect=404)


async def test_read_your_write_get_search_and_delete(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    created = await api.run(unique, "hello")
    fetched = await api.json("GET", f"{BASE}/{created['id']}")
    assert fetched["id"] == created["id"], "the execution a POST returned is readable at once"
    done = await api.wait_state(created["id"], "SUCCESS")
    assert done["taskRunList"][0]["taskId"] == "log"
    page = await api.eventually(
        f"{BASE}/search?filters[namespace][EQUALS]={unique}&filters[state][EQUALS]=SUCCESS",
        lambda body: body["total"] == 1,
    )
    assert page["results"][0]["id"] == created["id"]
    by_flow = await api.json("GET", f"{BASE}?namespace={unique}&flowId=hello")
    assert by_flow["total"] == 1
    await api.json("GET", f"{BASE}?namespace={unique}", expect=400)
    await api.json("GET", f"{BASE}/search?filters[nope][EQUALS]=x", expect=422)

    await api.json("DELETE", f"{BASE}/{created['id']}", expect=204)
    await api.eventually(
        f"{BASE}/search?filters[namespace][EQUALS]={unique}", lambda body: body["total"] == 0
    )
    await api.json("GET", f"{BASE}/{created['id']}", expect=404)


async def test_schedule_date_waits(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    later = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    created = await api.run(unique, "hello", scheduleDate=later)
    assert created["scheduleDate"]
    await asyncio.sleep(0.8)
    waiting = await api.json("GET", f"{BASE}/{created['id']}")
    assert waiting["state"]["current"] == "CREATED", waiting
    await api.wait_state(created["id"], "SUCCESS")


async def test_kill_running_then_409(api: Api, unique: str) -> None:
    await api.create_flow(sleep_flow(unique))
    created = await api.run(unique, "sleepy")
    await api.wait_state(created["id"], "RUNNING")
    await api.json("DELETE", f"{BASE}/{created['id']}/kill", expect=202)
    await api.wait_state(created["id"], "KILLED")
    error = await api.json("DELETE", f"{BASE}/{created['id']}/kill", expect=409)
    assert "finished" in error["message"]
    await api.json("DELETE", f"{BASE}/unknownId/kill", expect=404)


async def test_bulk_kill_by_ids(api: Api, unique: str) -> None:
    await api.create_flow(sleep_flow(unique))
    first, second = await api.run(unique, "sleepy"), await api.run(unique, "sleepy")
    for execution in (first, second):
        await api.wait_state(execution["id"], "RUNNING")
    result = await api.json("DELETE", f"{BASE}/kill/by-ids", json=[first["id"], second["id"]])
    assert result == {"count": 2}
    for execution in (first, second):
        await api.wait_state(execution["id"], "KILLED")
    invalid = await api.json("DELETE", f"{BASE}/kill/by-ids", json=[first["id"]], expect=400)
    assert invalid["invalids"][0]["value"] == first["id"]


async def test_restart_replay_and_status_edits(api: Api, unique: str) -> None:
    await api.create_flow(fail_flow(unique))
    created = await api.run(unique, "failing")
    failed = await api.wait_state(created["id"], "FAILED")
    restarted = await api.json("POST", f"{BASE}/{created['id']}/restart")
    assert restarted["state"]["current"] == "RESTARTED"
    await api.eventually(
        f"{BASE}/{created['id']}",
        lambda e: e["state"]["current"] == "FAILED" and len(e["taskRunList"][0]["attempts"]) == 2,
    )

    replay = await api.json("POST", f"{BASE}/{created['id']}/replay")
    assert replay["id"] != created["id"] and replay["originalId"] == created["id"]
    assert {"key": "system.replay", "value": "true"} in replay["labels"]
    await api.wait_state(replay["id"], "FAILED")
    await api.json("POST", f"{BASE}/{created['id']}/replay", params={"taskRunId": "nope"}, expect=422)

    await api.eventually(
        f"{BASE}/search?filters[namespace][EQUALS]={unique}", lambda body: body["total"] == 2
    )
    changed = await api.json("POST", f"{BASE}/{created['id']}/change-status", params={"status": "SUCCESS"})
    assert changed["state"]["current"] == "SUCCESS"
    await api.json("POST", f"{BASE}/{created['id']}/change-status", params={"status": "RUNNING"}, expect=422)
    labelled = await api.json(
        "POST", f"{BASE}/{created['id']}/labels", json=[{"key": "fixed", "value": "yes"}]
    )
    assert {"key": "fixed", "value": "yes"} in labelled["labels"]
    assert (await api.json("GET", f"{BASE}/{created['id']}"))["state"]["current"] == "SUCCESS"
    await api.json(
        "POST", f"{BASE}/{created['id']}/labels", json=[{"key": "system.x", "value": "1"}], expect=422
    )
    await api.json("POST", f"{BASE}/{created['id']}/unqueue", expect=409)
    _ = failed


async def test_pause_and_resume_with_inputs(api: Api, unique: str) -> None:
    await api.create_flow(pause_flow(unique))
    created = await api.run(unique, "pausing")
    await api.wait_state(created["id"], "PAUSED")
    await api.json("POST", f"{BASE}/{created['id']}/pause", expect=409)
    form = aiohttp.FormData()
    form.add_field("approved", "true")
    form.add_field("level", "not-a-number")
    await api.json("POST", f"{BASE}/{created['id']}/resume", data=form, expect=422)
    form = aiohttp.FormData()
    form.add_field("approved", "true")
    await api.json("POST", f"{BASE}/{created['id']}/resume", data=form, expect=204)
    done = await api.wait_state(created["id"], "SUCCESS")
    assert done["state"]["current"] == "SUCCESS"
    await api.json("POST", f"{BASE}/{created['id']}/resume", expect=409)


async def _events(api: Api, path: str) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    async with api.request("GET", path, timeout=aiohttp.ClientTimeout(total=60)) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        event_id = None
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                events.append((event_id or "", orjson.loads(line[5:].strip())))
    return events


async def test_follow_execution_sse(api: Api, unique: str) -> None:
    await api.create_flow(sleep_flow(unique, "PT1S"))
    created = await api.run(unique, "sleepy")
    events = await _events(api, f"{BASE}/{created['id']}/follow")
    assert events[0] == ("start", {"id": created["id"]})
    assert {event for event, _ in events[1:-1]} == {"progress"}
    assert events[-1][0] == "end" and events[-1][1]["state"]["current"] == "SUCCESS"
    await api.json("GET", f"{BASE}/neverExisted/follow", expect=404)


async def test_webhook(api: Api, unique: str) -> None:
    await api.create_flow(webhook_flow(unique))
    path = f"{BASE}/webhook/{unique}/hooked/secret-{unique}"
    response = await api.json("POST", path + "?a=1", json={"name": "ada"})
    done = await api.wait_state(response["id"], "SUCCESS")
    assert done["trigger"]["variables"]["body"] == {"name": "ada"}
    assert done["trigger"]["variables"]["parameters"] == {"a": ["1"]}
    assert done["outputs"] == {"name": "ada"}
    get = await api.json("GET", path)
    await api.wait_state(get["id"], "SUCCESS")
    await api.json("PUT", path, data="plain text")
    await api.json("POST", f"{BASE}/webhook/{unique}/hooked/wrong-key", expect=404)
    await api.json("POST", f"{BASE}/webhook/{unique}/nothere/secret-{unique}", expect=404)
    # webhooks are open: no credentials needed
    async with aiohttp.ClientSession() as anonymous, anonymous.post(api.url(path), json={}) as plain:
        assert plain.status == 200


async def test_webhook_wait_returns_outputs(api: Api, unique: str) -> None:
    await api.create_flow(webhook_flow(unique, wait=True))
    outputs = await api.json(
        "POST", f"{BASE}/webhook/{unique}/hooked/secret-{unique}", json={"name": "grace"}
    )
    assert outputs == {"name": "grace"}


async def test_graph_and_flow_of_execution(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique))
    created = await api.run(unique, "hello")
    graph = await api.json("GET", f"{BASE}/{created['id']}/graph")
    assert any(node["uid"] == "log" for node in graph["nodes"])
    flow = await api.json("GET", f"{BASE}/{created['id']}/flow")
    assert flow["id"] == "hello"
    assert (await api.json("GET", f"{BASE}/flows/{unique}/hello"))["revision"] == 1


async def test_validate_inputs_of_a_run(api: Api, unique: str) -> None:
    await api.create_flow(inputs_flow(unique))
    form = aiohttp.FormData()
    form.add_field("count", "x")
    result = await api.json("POST", f"{BASE}/{unique}/inputs/validate", data=form)
    by_id = {item["input"]["id"]: item for item in result["inputs"]}
    assert by_id["name"]["errors"] and by_id["count"]["errors"]
    form = aiohttp.FormData()
    form.add_field("name", "ada")
    result = await api.json("POST", f"{BASE}/{unique}/inputs/validate", data=form)
    assert all(not item["errors"] for item in result["inputs"])
    assert {item["input"]["id"]: item["value"] for item in result["inputs"]}["count"] == 1
    search = await api.json("GET", f"{BASE}/search?filters[namespace][EQUALS]={unique}")
    assert search["total"] == 0, "validation creates nothing"
