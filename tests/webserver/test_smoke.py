from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

FLOW = """id: hello
namespace: company.team
inputs:
  - id: name
    type: STRING
    defaults: world
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ inputs.name }}"
"""


async def test_smoke(client: TestClient[object, object]) -> None:
    r = await client.get("/ping")
    assert await r.text() == "pong"
    r = await client.post("/api/v1/main/flows", data=FLOW, headers={"Content-Type": "application/x-yaml"})
    assert r.status == 200, await r.text()
    r = await client.post("/api/v1/main/executions/company.team/hello?wait=true", data={"name": "bob"})
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["state"]["current"] == "SUCCESS", body
    await asyncio.sleep(0.5)
    r = await client.get(f"/api/v1/main/logs/{body['id']}")
    print(await r.json())
    r = await client.get("/api/v1/main/executions/search")
    print(await r.json())
