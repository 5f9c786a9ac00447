"""Run-form and resume-form validation (dependsOn, dynamic SELECT values), file preview, bulk replay
and labels, 401 without ``WWW-Authenticate`` for scripts, quiet SSE disconnects — on the memory
backend (real executor and worker)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from kestra_stream.webserver import errors

Client = TestClient[object, object]
BASE = "/api/v1/main/executions"
YAML = {"Content-Type": "application/x-yaml"}


async def _json(client: Client, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
    response = await client.request(method, path, **kwargs)
    text = await response.text()
    assert response.status == expect, f"{method} {path}: {response.status} {text}"
    return await response.json() if text else None


async def _flow(client: Client, source: str) -> None:
    await _json(client, "POST", "/api/v1/main/flows", data=source, headers=YAML)


async def _run(client: Client, namespace: str, flow_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await _json(client, "POST", f"{BASE}/{namespace}/{flow_id}")
    return result


async def _wait(client: Client, execution_id: str, *states: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        response = await client.get(f"{BASE}/{execution_id}")
        if response.status == 200:
            last = await response.json()
            if last["state"]["current"] in states:
                return dict(last)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{execution_id} not in {states}: {last}")


def _form(**fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for key, value in fields.items():
        form.add_field(key, value)
    return form


FORM_FLOW = """id: form
namespace: forms
inputs:
  - id: env
    type: SELECT
    values: [dev, prod]
  - id: region
    type: SELECT
    expression: "{{ inputs.env == 'prod' ? ['eu', 'us'] : ['local'] }}"
    dependsOn:
      inputs: [env]
  - id: approver
    type: STRING
    dependsOn:
      inputs: [env]
      condition: "{{ inputs.env == 'prod' }}"
  - id: note
    type: STRING
    required: false
    dependsOn:
      inputs: [approver]
  - id: broken
    type: STRING
    required: false
    dependsOn:
      inputs: [env]
      condition: "{{ nope() }}"
  - id: count
    type: INT
    defaults: 3
  - id: data
    type: FILE
    required: false
    allowedFileExtensions: [".csv"]
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.env }}"
"""


async def test_validate_computes_enabled_and_dynamic_values(client: Client) -> None:
    await _flow(client, FORM_FLOW)
    result = await _json(client, "POST", f"{BASE}/forms/form/validate", data=_form(env="dev"))
    assert (result["id"], result["namespace"]) == ("form", "forms")
    by_id = {item["input"]["id"]: item for item in result["inputs"]}
    assert list(by_id) == ["env", "region", "approver", "note", "broken", "count", "data"]
    assert by_id["env"] == {**by_id["env"], "value": "dev", "enabled": True, "errors": []}
    assert by_id["region"]["enabled"] and by_id["region"]["input"]["values"] == ["local"]
    assert by_id["region"]["errors"][0]["message"].startswith("Invalid input for `region`, missing")
    assert by_id["approver"]["enabled"] is False and by_id["approver"]["errors"] == []
    assert by_id["note"]["enabled"] is False, "a disabled dependency disables its dependents"
    assert by_id["broken"]["enabled"] is False
    assert by_id["broken"]["errors"][0]["message"].startswith("Invalid condition: ")
    assert by_id["count"] == {**by_id["count"], "value": 3, "isDefault": True, "enabled": True}

    form = _form(env="prod", region="eu", approver="ann", note="ok")
    form.add_field("data", b"a,b\n", filename="rows.csv")
    result = await _json(client, "POST", f"{BASE}/forms/form/validate", data=form)
    by_id = {item["input"]["id"]: item for item in result["inputs"]}
    assert by_id["region"]["input"]["values"] == ["eu", "us"] and by_id["region"]["value"] == "eu"
    assert by_id["approver"]["enabled"] and by_id["approver"]["value"] == "ann"
    assert by_id["note"]["enabled"] and by_id["note"]["value"] == "ok"
    assert by_id["data"]["value"] == "rows.csv" and by_id["data"]["errors"] == []
    assert [item["input"]["id"] for item in result["inputs"] if item["errors"]] == ["broken"]

    form = _form(env="prod", region="local", approver="ann")
    form.add_field("data", b"x", filename="rows.txt")
    result = await _json(client, "POST", f"{BASE}/forms/form/validate", data=form)
    by_id = {item["input"]["id"]: item for item in result["inputs"]}
    assert "must match the values `[eu, us]`" in by_id["region"]["errors"][0]["message"]
    assert "extensions" in by_id["data"]["errors"][0]["message"]
    search = await _json(client, "GET", f"{BASE}/search?filters[namespace][EQUALS]=forms")
    assert search["total"] == 0, "validation creates nothing"


PAUSE_FLOW = """id: pausing
namespace: forms
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOL
      - id: level
        type: INT
        required: false
      - id: reason
        type: STRING
        dependsOn:
          inputs: [approved]
          condition: "{{ inputs.approved == false }}"
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.pause.onResume.approved }}"
"""


async def test_resume_validate_checks_without_resuming(client: Client) -> None:
    await _flow(client, PAUSE_FLOW)
    created = await _run(client, "forms", "pausing")
    await _wait(client, created["id"], "PAUSED")
    path = f"{BASE}/{created['id']}/resume/validate"
    result = await _json(client, "POST", path, data=_form(approved="false", level="x"))
    assert (result["id"], result["namespace"]) == ("pausing", "forms")
    by_id = {item["input"]["id"]: item for item in result["inputs"]}
    assert by_id["approved"]["value"] is False
    assert by_id["level"]["errors"] and by_id["reason"]["enabled"] and by_id["reason"]["errors"]
    result = await _json(client, "POST", path, data=_form(approved="true"))
    assert all(not item["errors"] for item in result["inputs"])
    assert {item["input"]["id"]: item["enabled"] for item in result["inputs"]}["reason"] is False
    assert (await _json(client, "GET", f"{BASE}/{created['id']}"))["state"]["current"] == "PAUSED"
    await _json(client, "POST", f"{BASE}/{created['id']}/resume", data=_form(approved="true"), expect=204)
    await _wait(client, created["id"], "SUCCESS")
    await _json(client, "POST", path, data=_form(approved="true"), expect=409)
    await _json(client, "POST", f"{BASE}/nope/resume/validate", data=_form(), expect=404)


FILES_FLOW = """id: files
namespace: forms
tasks:
  - id: csv
    type: io.kestra.plugin.core.storage.Write
    extension: .csv
    content: |
      id,name
      1,ada
      2,grace
      3,linus
  - id: ion
    type: io.kestra.plugin.core.storage.Write
    extension: .ion
    content: |
      {id:1,name:"ada",at:2024-01-02T03:04:05Z,score:1.5}
      {id:2,name:"grace"}
      {id:3,name:"linus"}
  - id: latin
    type: io.kestra.plugin.core.storage.Write
    extension: .txt
    content: "café"
"""


async def test_file_preview(client: Client) -> None:
    await _flow(client, FILES_FLOW)
    created = await _run(client, "forms", "files")
    done = await _wait(client, created["id"], "SUCCESS", "FAILED")
    assert done["state"]["current"] == "SUCCESS", done
    uris = {run["taskId"]: run["outputs"]["uri"] for run in done["taskRunList"]}
    preview = f"{BASE}/{created['id']}/file/preview"

    csv = await _json(client, "GET", preview, params={"path": uris["csv"], "maxRows": "2"})
    assert csv == {
        "extension": "csv",
        "type": "TEXT",
        "content": "id,name\n1,ada",
        "maxLine": 2,
        "truncated": True,
    }
    whole = await _json(client, "GET", preview, params={"path": uris["csv"]})
    assert whole["maxLine"] == 100 and not whole["truncated"]
    assert whole["content"].splitlines()[-1] == "3,linus"
    capped = await _json(client, "GET", preview, params={"path": uris["csv"], "maxRows": "999999"})
    assert capped["maxLine"] == 5000

    ion = await _json(client, "GET", preview, params={"path": uris["ion"], "maxRows": "2"})
    assert ion["type"] == "LIST" and ion["truncated"] is True
    assert ion["content"] == [
        {"id": 1, "name": "ada", "at": "2024-01-02T03:04:05Z", "score": 1.5},
        {"id": 2, "name": "grace"},
    ]

    latin = await _json(client, "GET", preview, params={"path": uris["latin"], "encoding": "ISO-8859-1"})
    assert latin["content"] == "cafÃ©", "UTF-8 bytes read as ISO-8859-1"
    await _json(client, "GET", preview, params={"path": uris["csv"], "encoding": "nope"}, expect=422)
    await _json(client, "GET", preview, params={"path": uris["csv"], "maxRows": "0"}, expect=422)
    await _json(client, "GET", preview, params={"path": "kestra:///elsewhere/x.csv"}, expect=422)
    await _json(client, "GET", preview, expect=400)
    missing = uris["csv"].rsplit("/", 1)[0] + "/missing.csv"
    await _json(client, "GET", preview, params={"path": missing}, expect=404)


HELLO = """id: hello
namespace: {namespace}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
"""
SLEEP = """id: sleepy
namespace: forms
tasks:
  - id: sleep
    type: io.kestra.plugin.core.flow.Sleep
    duration: {duration}
"""


async def _searched(client: Client, query: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    results: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        page = await _json(client, "GET", f"{BASE}/search?{query}&size=50")
        results = page["results"]
        if len(results) >= count:
            return results
        await asyncio.sleep(0.1)
    raise AssertionError(f"{query}: {len(results)} of {count}")


async def test_bulk_replay_by_ids_and_query(client: Client) -> None:
    await _flow(client, HELLO.format(namespace="replays"))
    first = await _run(client, "replays", "hello")
    await _wait(client, first["id"], "SUCCESS")
    answer = await _json(client, "POST", f"{BASE}/replay/by-ids", json=[first["id"]])
    assert answer == {"count": 1}
    replays = [
        item
        for item in await _searched(client, "filters[namespace][EQUALS]=replays", 2)
        if item["id"] != first["id"]
    ]
    assert replays[0]["originalId"] == first["id"]
    assert {"key": "system.replay", "value": "true"} in replays[0]["labels"]
    await _wait(client, replays[0]["id"], "SUCCESS")

    refused = await _json(client, "POST", f"{BASE}/replay/by-ids", json=[first["id"], "nope"], expect=400)
    assert refused["message"] == "invalid bulk replay"
    assert refused["invalids"] == [{"key": "execution", "message": "execution not found", "value": "nope"}]
    await _json(client, "POST", f"{BASE}/replay/by-ids", json={"not": "a list"}, expect=422)

    by_query = await _json(
        client, "POST", f"{BASE}/replay/by-query?filters[namespace][EQUALS]=replays&latestRevision=true"
    )
    assert by_query == {"count": 2}
    await _searched(client, "filters[namespace][EQUALS]=replays", 4)


async def test_bulk_labels_by_ids_and_query(client: Client) -> None:
    await _flow(client, HELLO.format(namespace="labelled"))
    await _flow(client, SLEEP.format(duration="PT30S"))
    done = await _run(client, "labelled", "hello")
    await _wait(client, done["id"], "SUCCESS")
    running = await _run(client, "forms", "sleepy")
    await _wait(client, running["id"], "RUNNING")

    body = {"executionsId": [done["id"]], "executionLabels": [{"key": "team", "value": "data"}]}
    assert await _json(client, "POST", f"{BASE}/labels/by-ids", json=body) == {"count": 1}
    labels = (await _json(client, "GET", f"{BASE}/{done['id']}"))["labels"]
    assert {"key": "team", "value": "data"} in labels
    assert any(label["key"] == "system.correlationId" for label in labels), "system labels kept"

    body = {"executionsId": [done["id"]], "executionLabels": [{"key": "team", "value": "ops"}]}
    await _json(client, "POST", f"{BASE}/labels/by-ids", json=body)
    labels = (await _json(client, "GET", f"{BASE}/{done['id']}"))["labels"]
    assert [label["value"] for label in labels if label["key"] == "team"] == ["ops"], "same key: replaced"

    body = {"executionsId": [done["id"], running["id"]], "executionLabels": [{"key": "a", "value": "b"}]}
    refused = await _json(client, "POST", f"{BASE}/labels/by-ids", json=body, expect=400)
    assert refused["invalids"] == [
        {"key": "execution", "message": "execution is not terminated", "value": running["id"]}
    ]
    body = {"executionsId": [done["id"]], "executionLabels": [{"key": "system.x", "value": "1"}]}
    await _json(client, "POST", f"{BASE}/labels/by-ids", json=body, expect=422)

    await _searched(client, "filters[namespace][EQUALS]=labelled", 1)
    answer = await _json(
        client,
        "POST",
        f"{BASE}/labels/by-query?filters[namespace][EQUALS]=labelled",
        json=[{"key": "bulk", "value": "yes"}],
    )
    assert answer == {"count": 1}
    labels = (await _json(client, "GET", f"{BASE}/{done['id']}"))["labels"]
    assert {"key": "bulk", "value": "yes"} in labels and {"key": "team", "value": "ops"} in labels
    await _json(client, "DELETE", f"{BASE}/{running['id']}/kill", expect=202)


async def test_script_calls_get_401_without_www_authenticate(client: Client) -> None:
    client.session.headers.pop("Authorization")
    browser = await client.get("/api/v1/main/flows/search")
    assert browser.status == 401 and browser.headers["WWW-Authenticate"].startswith("Basic realm=")
    script = await client.get("/api/v1/main/flows/search", headers={"X-Requested-With": "XMLHttpRequest"})
    assert script.status == 401 and "WWW-Authenticate" not in script.headers
    assert (await script.json())["message"] == "Unauthorized"


async def test_closed_follow_stream_is_not_an_internal_error(
    run_app_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # run_app_client: under aiohttp's TestServer the handler, parked waiting for the next state, was
    # cancelled on disconnect (quiet, nothing logged) unless a state happened to be written first;
    # production never cancels it, so its next write meets the closed connection — the path checked.
    client = run_app_client
    logged: list[str] = []

    class Recorder:
        def exception(self, event: str, **_: Any) -> None:
            logged.append(event)

        def debug(self, event: str, **_: Any) -> None:
            logged.append(event)

    monkeypatch.setattr(errors, "log", Recorder())
    await _flow(client, SLEEP.format(duration="PT1S"))
    created = await _run(client, "forms", "sleepy")
    response = await client.get(f"{BASE}/{created['id']}/follow")
    assert response.status == 200
    assert (await response.content.readline()).startswith(b"id: start")
    response.close()  # the browser navigates away
    await _wait(client, created["id"], "SUCCESS")
    deadline = time.monotonic() + 10  # the follower's next write meets the closed connection
    while not {"api.internal_error", "api.client_disconnected"} & set(logged):
        assert time.monotonic() < deadline, f"the follower never met the closed connection: {logged}"
        await asyncio.sleep(0.05)
    assert "api.internal_error" not in logged
    assert "api.client_disconnected" in logged
