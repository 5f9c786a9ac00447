"""Webhook trigger semantics through the API: rendered keys (expressions, secrets), conditions on the
request (204), 404s (unknown key, disabled flow/trigger, disabled at runtime), wait + returnOutputs +
responseContentType."""

from __future__ import annotations

import pytest
from api_backends import WEBHOOK_SECRET_ENV, WEBHOOK_SECRET_VALUE, Api

MAIN = "/api/v1/main"
HOOK = f"{MAIN}/executions/webhook"


def hook_flow(namespace: str, trigger: str, *, flow_id: str = "hooked", extra: str = "") -> str:
    return f"""id: {flow_id}
namespace: {namespace}
{extra}
tasks:
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: "Hello {{{{ trigger.parameters.name[0] ?? 'world' }}}}!"
outputs:
  - id: greeting
    type: STRING
    value: "{{{{ outputs.hello.value }}}}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
{trigger}
"""


async def test_key_is_rendered(api: Api, unique: str) -> None:
    await api.create_flow(hook_flow(unique, '    key: "{{ flow.namespace }}-k"'))
    created = await api.json("POST", f"{HOOK}/{unique}/hooked/{unique}-k")
    await api.wait_state(created["id"], "SUCCESS")
    raw = "{{ flow.namespace }}-k"
    await api.json("POST", f"{HOOK}/{unique}/hooked/{raw}", expect=404)


async def test_key_from_a_secret(api: Api, unique: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The in-process memory server reads this process's environment; the standalone one has it set.
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, WEBHOOK_SECRET_VALUE)
    await api.create_flow(hook_flow(unique, "    key: \"{{ secret('WEBHOOK_KEY') }}\""))
    created = await api.json("GET", f"{HOOK}/{unique}/hooked/s3cr3t")
    await api.wait_state(created["id"], "SUCCESS")
    await api.json("GET", f"{HOOK}/{unique}/hooked/WEBHOOK_KEY", expect=404)


async def test_conditions_on_the_request(api: Api, unique: str) -> None:
    trigger = """    key: k
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.body.hello == 'world' }}"
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ (trigger.headers['X-Token'] | first) == 'abc' }}"
      - type: io.kestra.plugin.core.condition.Not
        conditions:
          - type: io.kestra.plugin.core.condition.Expression
            expression: "{{ trigger.parameters.env[0] == 'prod' }}"
"""
    await api.create_flow(hook_flow(unique, trigger))
    path = f"{HOOK}/{unique}/hooked/k"
    good = {"json": {"hello": "world"}, "headers": {"X-Token": "abc"}}
    created = await api.json("POST", path + "?env=dev", **good)
    done = await api.wait_state(created["id"], "SUCCESS")
    assert done["trigger"]["variables"]["body"] == {"hello": "world"}
    for rejected in (
        {"json": {"hello": "moon"}, "headers": {"X-Token": "abc"}},
        {"json": {"hello": "world"}, "headers": {"X-Token": "nope"}},
        {"data": "not json", "headers": {"X-Token": "abc"}},
    ):
        async with api.request("POST", path + "?env=dev", **rejected) as response:
            assert response.status == 204, await response.text()
    async with api.request("POST", path + "?env=prod", **good) as response:
        assert response.status == 204
    search = await api.eventually(
        f"{MAIN}/executions/search?filters[namespace][EQUALS]={unique}", lambda body: body["total"] >= 1
    )
    assert [e["id"] for e in search["results"]] == [created["id"]]


async def test_not_found(api: Api, unique: str) -> None:
    await api.create_flow(hook_flow(unique, "    key: k"))
    await api.create_flow(hook_flow(unique, "    key: k\n    disabled: true", flow_id="trigoff"))
    await api.create_flow(hook_flow(unique, "    key: k", flow_id="flowoff", extra="disabled: true"))
    await api.json("POST", f"{HOOK}/{unique}/hooked/nope", expect=404)
    await api.json("POST", f"{HOOK}/{unique}/missing/k", expect=404)
    await api.json("POST", f"{HOOK}/nowhere{unique}/hooked/k", expect=404)
    await api.json("POST", f"{HOOK}/{unique}/trigoff/k", expect=404)
    await api.json("POST", f"{HOOK}/{unique}/flowoff/k", expect=404)


async def test_disabled_at_runtime(api: Api, unique: str) -> None:
    await api.create_flow(hook_flow(unique, "    key: k"))
    ids = {"namespace": unique, "flowId": "hooked", "triggerId": "hook"}
    await api.json("PUT", f"{MAIN}/triggers", json={**ids, "disabled": True})
    await api.eventually(
        f"{MAIN}/triggers/search?filters[namespace][EQUALS]={unique}",
        lambda body: body["total"] == 1 and body["results"][0]["triggerContext"].get("disabled") is True,
    )
    await api.json("POST", f"{HOOK}/{unique}/hooked/k", expect=404)
    await api.json("PUT", f"{MAIN}/triggers", json={**ids, "disabled": False})
    await api.eventually(
        f"{MAIN}/triggers/search?filters[namespace][EQUALS]={unique}",
        lambda body: body["results"][0]["triggerContext"].get("disabled") is False,
    )
    created = await api.json("POST", f"{HOOK}/{unique}/hooked/k")
    await api.wait_state(created["id"], "SUCCESS")


async def test_wait_return_outputs_content_type(api: Api, unique: str) -> None:
    json_hook = "    key: j\n    wait: true\n    returnOutputs: true"
    text_hook = json_hook.replace("key: j", "key: t") + "\n    responseContentType: text/plain"
    plain_wait = "    key: w\n    wait: true"
    await api.create_flow(hook_flow(unique, json_hook, flow_id="asjson"))
    await api.create_flow(hook_flow(unique, text_hook, flow_id="astext"))
    await api.create_flow(hook_flow(unique, plain_wait, flow_id="waits"))
    async with api.request("GET", f"{HOOK}/{unique}/asjson/j?name=Ada") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == {"greeting": "Hello Ada!"}
    async with api.request("GET", f"{HOOK}/{unique}/astext/t?name=Alice") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        assert await response.text() == "Hello Alice!"
    execution = await api.json("POST", f"{HOOK}/{unique}/waits/w")
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["outputs"] == {"greeting": "Hello world!"}


async def test_webhook_inputs_and_flow_outputs_call_kv(api: Api, unique: str) -> None:
    """Services where Kestra renders outside a task (issue 10 bug 3): the webserver renders the
    webhook's ``inputs``, the executor the flow's ``outputs``; both read the namespace's KV store."""
    await api.json(
        "PUT",
        f"{MAIN}/namespaces/{unique}/kv/greeting",
        data='"bonjour"',
        headers={"Content-Type": "application/json"},
    )
    source = f"""id: kvhook
namespace: {unique}
inputs:
  - id: word
    type: STRING
tasks:
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.word }}}}"
outputs:
  - id: both
    type: STRING
    value: "{{{{ outputs.hello.value }}}}-{{{{ kv('greeting') }}}}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
    inputs:
      word: "{{{{ kv('greeting') }}}}"
"""
    await api.create_flow(source)
    created = await api.json("POST", f"{HOOK}/{unique}/kvhook/k")
    done = await api.wait_state(created["id"], "SUCCESS", "FAILED")
    assert done["state"]["current"] == "SUCCESS", done
    assert done["inputs"] == {"word": "bonjour"}
    assert done["outputs"] == {"both": "bonjour-bonjour"}
