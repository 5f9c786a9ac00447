"""The UI hook: a built UI under /ui/ with single-page-app fallback, a placeholder without one."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from kestra_stream.config import Config
from kestra_stream.queue import MemoryQueue
from kestra_stream.webserver.process import web_application


async def test_static_files_and_spa_fallback(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>app</html>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    config = Config().with_overrides(
        {"kestra.storage.local.base-path": str(tmp_path / "storage"), "kestra.webserver.ui-path": str(dist)}
    )
    async with TestClient(
        TestServer(web_application(config, queue=MemoryQueue(), run_indexer=False))
    ) as client:
        assert await (await client.get("/ui/assets/app.js")).text() == "console.log(1)"
        assert await (await client.get("/ui/main/flows/edit/a/b")).text() == "<html>app</html>"
        escaped = await client.get("/ui/%2E%2E/%2E%2E/etc/passwd")
        assert "root:" not in await escaped.text()
        home = await client.get("/", allow_redirects=False)
        assert home.status == 302 and home.headers["Location"] == "/ui/"


async def test_placeholder_without_build(tmp_path: Path) -> None:
    config = Config().with_overrides(
        {"kestra.storage.local.base-path": str(tmp_path), "kestra.webserver.ui-path": str(tmp_path / "none")}
    )
    async with TestClient(
        TestServer(web_application(config, queue=MemoryQueue(), run_indexer=False))
    ) as client:
        response = await client.get("/ui/")
        assert response.status == 200 and "kestra-stream" in await response.text()
