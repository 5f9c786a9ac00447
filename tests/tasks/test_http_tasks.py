from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, run_task
from kestra_stream.storage import read_bytes

from .test_basic_tasks import task

PAYLOAD = bytes(range(256)) * 1000


async def _echo(request: web.Request) -> web.Response:
    body = b""
    form: dict[str, Any] = {}
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        body = await request.read()
    else:
        data = await request.post()
        form = {
            key: (value if isinstance(value, str) else value.file.read().decode())
            for key, value in data.items()
        }
    return web.json_response(
        {
            "method": request.method,
            "contentType": request.content_type,
            "headers": {key: value for key, value in request.headers.items() if key.lower().startswith("x-")},
            "body": body.decode(errors="replace") if not form else None,
            "form": form,
            "auth": request.headers.get("Authorization"),
        },
        headers={"X-Multi": "a"},
    )


async def _status(request: web.Request) -> web.Response:
    return web.Response(status=int(request.match_info["code"]), text="status body")


async def _file(_: web.Request) -> web.Response:
    return web.Response(
        body=PAYLOAD,
        headers={"Content-Disposition": 'attachment; filename="data.bin"'},
        content_type="application/x",
    )


async def _empty(_: web.Request) -> web.Response:
    return web.Response(status=200)


async def _redirect(_: web.Request) -> web.Response:
    raise web.HTTPFound("/status/201")


async def _slow(_: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.Response(text="late")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A real aiohttp server on an ephemeral port, in its own thread (the tasks are synchronous)."""
    app = web.Application()
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/status/{code}", _status)
    app.router.add_get("/files/download", _file)
    app.router.add_get("/empty", _empty)
    app.router.add_get("/redirect", _redirect)
    app.router.add_get("/slow", _slow)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


def request(**properties: Any) -> Any:
    return task({"type": "io.kestra.plugin.core.http.Request", **properties})


def test_json_body_with_headers(server: str, ctx: TaskRunContext) -> None:
    outputs = run_task(
        request(uri=f"{server}/echo", method="POST", body='{"a": 1}', headers={"X-Flow": "{{ flow.id }}"}),
        ctx,
    )
    assert outputs["code"] == 200
    assert outputs["uri"] == f"{server}/echo"
    assert outputs["headers"]["x-multi"] == ["a"]
    echoed = json.loads(outputs["body"])
    assert echoed["contentType"] == "application/json"
    assert echoed["body"] == '{"a": 1}'
    assert echoed["headers"] == {"X-Flow": "flow"}
    assert outputs["length"] == len(outputs["body"].encode())


def test_map_body_is_sent_as_json(server: str, ctx: TaskRunContext) -> None:
    outputs = run_task(request(uri=f"{server}/echo", method="PUT", body={"k": [1, 2]}), ctx)
    assert json.loads(json.loads(outputs["body"])["body"]) == {"k": [1, 2]}


def test_form_data_urlencoded_and_multipart(server: str, ctx: TaskRunContext, local_storage: Any) -> None:
    plain = run_task(
        request(uri=f"{server}/echo", method="POST", formData={"a": "1", "b": "{{ flow.id }}"}), ctx
    )
    echoed = json.loads(plain["body"])
    assert echoed["contentType"] == "application/x-www-form-urlencoded"
    assert echoed["form"] == {"a": "1", "b": "flow"}
    uri = local_storage.put("/company/team/flow/executions/exec1/inputs/f/up.txt", b"file content")
    multipart = run_task(
        request(
            uri=f"{server}/echo",
            method="POST",
            contentType="multipart/form-data",
            formData={"field": "v", "upload": {"name": "up.txt", "content": uri}},
        ),
        ctx,
    )
    echoed = json.loads(multipart["body"])
    assert echoed["contentType"] == "multipart/form-data"
    assert echoed["form"] == {"field": "v", "upload": "file content"}


def test_basic_and_bearer_auth(server: str, ctx: TaskRunContext) -> None:
    basic = run_task(
        request(uri=f"{server}/echo", auth={"type": "BASIC", "username": "u", "password": "p"}), ctx
    )
    assert json.loads(basic["body"])["auth"] == "Basic dTpw"
    bearer = run_task(request(uri=f"{server}/echo", auth={"type": "BEARER", "token": "tok"}), ctx)
    assert json.loads(bearer["body"])["auth"] == "Bearer tok"


def test_non_2xx_fails_unless_allowed(server: str, ctx: TaskRunContext) -> None:
    with pytest.raises(TaskFailure, match="response code '404'") as failure:
        run_task(request(uri=f"{server}/status/404"), ctx)
    assert failure.value.outputs["code"] == 404
    allowed = run_task(request(uri=f"{server}/status/500", allowFailed=True), ctx)
    assert (allowed["code"], allowed["body"]) == (500, "status body")


def test_redirects_follow_by_default(server: str, ctx: TaskRunContext) -> None:
    assert run_task(request(uri=f"{server}/redirect"), ctx)["code"] == 201
    not_followed = run_task(request(uri=f"{server}/redirect", options={"followRedirects": False}), ctx)
    assert not_followed["code"] == 302


def test_read_timeout_fails(server: str, ctx: TaskRunContext) -> None:
    with pytest.raises(TaskFailure, match="HTTP request failed"):
        run_task(request(uri=f"{server}/slow", options={"readTimeout": "PT0.3S"}), ctx)


def test_connection_refused_fails(ctx: TaskRunContext) -> None:
    with pytest.raises(TaskFailure, match="HTTP request failed"):
        run_task(request(uri="http://127.0.0.1:1/"), ctx)


def test_download_stores_bytes(server: str, ctx: TaskRunContext, sink: CollectingSink) -> None:
    outputs = run_task(
        task({"type": "io.kestra.plugin.core.http.Download", "uri": f"{server}/files/download"}), ctx
    )
    assert outputs["code"] == 200
    assert outputs["length"] == len(PAYLOAD)
    assert outputs["uri"].endswith("/tasks/task/run1/data.bin")
    assert read_bytes(ctx.storage, outputs["uri"]) == PAYLOAD
    assert sink.metric("response.length").value == len(PAYLOAD)


def test_download_empty_response(server: str, ctx: TaskRunContext) -> None:
    download = {"type": "io.kestra.plugin.fs.http.Download", "uri": f"{server}/empty"}
    with pytest.raises(TaskFailure, match="No response"):
        run_task(task(download), ctx)
    outputs = run_task(task({**download, "failOnEmptyResponse": False}), ctx)
    assert outputs["length"] == 0


async def test_request_from_inside_an_event_loop(server: str, ctx: TaskRunContext) -> None:
    outputs = request(uri=f"{server}/status/200").run(ctx)
    assert outputs["code"] == 200
