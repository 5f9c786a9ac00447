"""Basic auth (Kestra OSS 0.24+): header or BASIC_AUTH cookie, open URLs, first-run setup with the
credential stored hashed, configuration errors."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
from aiohttp.test_utils import TestClient, TestServer
from web_helpers import AUTH, PASSWORD, USER

from kestra_stream.config import Config
from kestra_stream.queue import MemoryQueue
from kestra_stream.storage import LocalStorage, read_bytes
from kestra_stream.webserver.auth import SETTINGS_URI, password_problems
from kestra_stream.webserver.process import web_application


def token(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_header_cookie_and_401(client: TestClient[object, object]) -> None:
    client.session.headers.pop("Authorization")
    response = await client.get("/api/v1/main/flows/search")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert (await response.json())["message"] == "Unauthorized"

    wrong = await client.get(
        "/api/v1/main/flows/search", headers={"Authorization": "Basic " + token(USER, "nope")}
    )
    assert wrong.status == 401
    right = await client.get("/api/v1/main/flows/search", headers=AUTH)
    assert right.status == 200
    cookie = await client.get(
        "/api/v1/main/flows/search", headers={"Cookie": f"BASIC_AUTH={token(USER, PASSWORD)}"}
    )
    assert cookie.status == 200
    legacy = await client.get("/api/v1/flows/search")
    assert legacy.status == 401


async def test_open_urls(client: TestClient[object, object]) -> None:
    client.session.headers.pop("Authorization")
    assert (await client.get("/ping")).status == 200
    assert (await client.get("/api/v1/configs")).status == 200
    assert (await client.get("/api/v1/openapi.json")).status == 200
    missing_hook = await client.post("/api/v1/main/executions/webhook/a/b/c")
    assert missing_hook.status == 404, "webhooks are open: the key is the secret"
    assert (await client.get("/ui/")).status == 200
    assert (await client.get("/api/v1/basicAuthValidationErrors")).json is not None


async def test_login_sets_cookie(client: TestClient[object, object]) -> None:
    client.session.headers.pop("Authorization")
    bad = await client.post("/api/v1/login", json={"username": USER, "password": "x"})
    assert bad.status == 401
    good = await client.post("/api/v1/login", json={"username": USER, "password": PASSWORD})
    assert good.status == 204
    assert (await client.get("/api/v1/main/flows/search")).status == 200
    await client.post("/api/v1/logout")
    assert (await client.get("/api/v1/main/flows/search")).status == 401


async def test_first_run_setup_stores_a_salted_hash(tmp_path: Path) -> None:
    config = Config().with_overrides({"kestra.storage.local.base-path": str(tmp_path)})
    app = web_application(config, queue=MemoryQueue(), run_indexer=False)
    async with TestClient(TestServer(app)) as client:
        assert (await (await client.get("/api/v1/configs")).json())["isBasicAuthInitialized"] is False
        refused = await client.get("/api/v1/main/flows/search")
        assert refused.status == 401 and "setup" in (await refused.json())["message"]
        weak = await client.post("/api/v1/main/basicAuth", json={"username": "me@x.io", "password": "short"})
        assert weak.status == 422
        created = await client.post(
            "/api/v1/main/basicAuth", json={"username": "me@x.io", "password": "Secret123"}
        )
        assert created.status == 204
        again = await client.post(
            "/api/v1/main/basicAuth",
            json={"username": "other@x.io", "password": "Secret123"},
            headers={"Authorization": "Basic " + token("me@x.io", "Secret123")},
        )
        assert again.status == 409
        ok = await client.get(
            "/api/v1/main/flows/search", headers={"Authorization": "Basic " + token("me@x.io", "Secret123")}
        )
        assert ok.status == 200
    stored = orjson.loads(read_bytes(LocalStorage(base_path=tmp_path), SETTINGS_URI))
    assert stored["username"] == "me@x.io" and stored["algorithm"] == "scrypt"
    assert "Secret123" not in orjson.dumps(stored).decode() and len(bytes.fromhex(stored["salt"])) == 16


def test_password_policy() -> None:
    assert password_problems("admin@kestra.io", "Kestra123") == []
    assert len(password_problems("admin", "kestra")) == 2
