"""``kestra-stream server local`` as a subprocess with the flows of ``examples/flows/``, and a small
authenticated client to run them (the plugin families' example flows are tested on it)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
USER = "admin@kestra.io"
PASSWORD = "Kestra123"
TERMINATED = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def secret_env(secrets: Mapping[str, str]) -> dict[str, str]:
    """Kestra's OSS secrets: ``SECRET_<NAME>`` environment variables holding base64 values."""
    return {f"SECRET_{name}": base64.b64encode(value.encode()).decode() for name, value in secrets.items()}


@dataclass
class LocalServer:
    base_url: str
    log: Path
    pid: int = 0

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> Any:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            method=method,
            headers={"Authorization": f"Basic {token}", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read()[:2000]!r}") from None
        return json.loads(text) if text else None

    def run(self, namespace: str, flow_id: str, timeout: float = 240.0) -> dict[str, Any]:
        """Start an execution and wait until it is terminated; the execution JSON."""
        started = self.request("POST", f"/api/v1/main/executions/{namespace}/{flow_id}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            execution: dict[str, Any] = self.request("GET", f"/api/v1/main/executions/{started['id']}")
            if execution["state"]["current"] in TERMINATED:
                return execution
            time.sleep(0.3)
        raise AssertionError(f"{flow_id} did not end in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def messages(self, execution_id: str, *expected: str, timeout: float = 30.0) -> list[str]:
        """The execution's log messages once all of ``expected`` are there (logs are indexed later)."""
        deadline = time.monotonic() + timeout
        while True:
            logs = self.request("GET", f"/api/v1/main/logs/{execution_id}")
            messages = [str(entry.get("message")) for entry in logs]
            if all(any(want in message for message in messages) for want in expected):
                return messages
            if time.monotonic() > deadline:
                raise AssertionError(f"logs of {execution_id} lack {expected}: {messages}")
            time.sleep(0.3)


@contextmanager
def server_local(
    tmp_path: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Iterator[LocalServer]:
    port, management = free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KESTRA_", "SECRET_"))}
    environment.update(
        {
            "KESTRA_SERVER_BASIC_AUTH_USERNAME": USER,
            "KESTRA_SERVER_BASIC_AUTH_PASSWORD": PASSWORD,
            "KESTRA_STORAGE_LOCAL_BASE_PATH": str(tmp_path / "storage"),
            "KESTRA_CONFIGURATION": f"endpoints:\n  all:\n    port: {management}\n",
            **(env or {}),
        }
    )
    log = tmp_path / "server-local.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kestra_stream", "server", "local", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd or REPO,
        )
    server = LocalServer(f"http://127.0.0.1:{port}", log, process.pid)
    try:
        _wait_for_ping(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_ping(server: LocalServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server local exited ({process.returncode}):\n{server.log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(server.base_url + "/ping", timeout=1) as response:
                if response.read() == b"pong":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"server local did not answer /ping:\n{server.log.read_text()[-4000:]}")
