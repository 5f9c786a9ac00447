"""Issue 10 bug 12, through the CLI process: a port ``server local`` cannot listen on stops it with
one line naming the port and the setting that moves it (no traceback), before anything started;
``KESTRA_ENDPOINTS_ALL_PORT`` moves the management port, so two servers run side by side."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.plugin_families.server_local import REPO, free_port, server_local


@contextmanager
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def run_local(tmp_path: Path, *, port: int, management: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESTRA_")}
    env.update(
        {
            "KESTRA_STORAGE_LOCAL_BASE_PATH": str(tmp_path / "storage"),
            "KESTRA_ENDPOINTS_ALL_PORT": str(management),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "kestra_stream", "server", "local", "--port", str(port)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-4000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for text in expected:
        assert text in lines[0], lines[0]
    assert "server.started" not in result.stdout, "the engine started before the port was checked"


def test_taken_management_port(tmp_path: Path) -> None:
    with taken_port() as management:
        result = run_local(tmp_path, port=free_port(), management=management)
    assert_one_line_error(
        result, f"Cannot listen on port {management}, the management port", "endpoints.all.port"
    )


def test_taken_api_port(tmp_path: Path) -> None:
    with taken_port() as port:
        result = run_local(tmp_path, port=port, management=free_port())
    assert_one_line_error(result, f"Cannot listen on port {port}, the API port", "--port")


def test_two_servers_side_by_side(tmp_path: Path) -> None:
    management = free_port()
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    with (
        server_local(tmp_path / "one") as first,
        server_local(tmp_path / "two", env={"KESTRA_ENDPOINTS_ALL_PORT": str(management)}) as second,
    ):
        assert first.base_url != second.base_url
        for server in (first, second):
            assert server.request("GET", "/api/v1/configs")["uuid"]
        with urllib.request.urlopen(f"http://127.0.0.1:{management}/health/liveness", timeout=10) as health:
            assert health.status == 200
