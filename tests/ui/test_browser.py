"""Browser test of the web UI: a real ``kestra-stream server local`` process, the built UI it serves
under ``/ui/``, and ``tests/ui/e2e.mjs`` driving Debian's chromium through playwright-core.

Needs Node.js >= 20 with npm (``ui/build.sh`` builds the UI when its sources changed) and chromium
(``apt-get install -y chromium``; another binary with ``KS_CHROMIUM=/path``). A missing tool is a
broken setup: the test fails and says what to install. ``KS_PERF=10000`` also measures the executions
list on that many executions (reported in the output, not asserted); ``KS_PERF_ONLY=1`` with it skips
the other steps (and the screenshot checks). Screenshots go to
``docs/screenshots`` (``KS_SCREENSHOTS`` to change).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
USER = "admin@kestra.io"
PASSWORD = "Kestra1234"
SCREENSHOTS = (
    "login",
    "dashboard",
    "editor-validation-error",
    "editor-autocomplete",
    "editor",
    "execute-form",
    "execute-form-validation",
    "execution-gantt",
    "execution-logs",
    "execution-topology",
    "execution-overview",
    "executions-list",
    "execution-killed",
    "resume-form",
    "flow-topology",
    "flow-revisions",
    "flow-overview",
    "namespace-kv",
    "namespace-files",
    "logs",
    "triggers",
    "plugins",
    "flows",
    "flows-dark",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_tools() -> str:
    chromium = os.environ.get("KS_CHROMIUM", "/usr/bin/chromium")
    missing = []
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing.append("Node.js >= 20 with npm (node, npm on PATH)")
    if not Path(chromium).is_file():
        missing.append(
            f"chromium at {chromium} (apt-get install -y chromium, or KS_CHROMIUM=/path/to/chrome)"
        )
    if missing:
        pytest.fail("the browser test needs: " + "; ".join(missing))
    return chromium


def _build_ui() -> None:
    result = subprocess.run(
        ["bash", str(REPO / "ui" / "build.sh")], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        pytest.fail(f"ui/build.sh failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def _wait_for_ping(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(base + "/ping", timeout=1) as response:
                if response.read() == b"pong":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"server did not answer /ping:\n{log.read_text()[-4000:]}")


def test_ui_in_a_browser(tmp_path: Path) -> None:
    chromium = _require_tools()
    _build_ui()
    port, management = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESTRA_")}
    env.update(
        {
            "KESTRA_SERVER_BASIC_AUTH_USERNAME": USER,
            "KESTRA_SERVER_BASIC_AUTH_PASSWORD": PASSWORD,
            "KESTRA_STORAGE_LOCAL_BASE_PATH": str(tmp_path / "storage"),
            "KESTRA_CONFIGURATION": f"endpoints:\n  all:\n    port: {management}\n",
        }
    )
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "kestra_stream", "server", "local", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    base = f"http://127.0.0.1:{port}"
    screenshots = Path(os.environ.get("KS_SCREENSHOTS", REPO / "docs" / "screenshots"))
    started = time.time()
    try:
        _wait_for_ping(base, server, log)
        command = [
            "node",
            str(REPO / "tests" / "ui" / "e2e.mjs"),
            "--base-url",
            base,
            "--user",
            USER,
            "--password",
            PASSWORD,
            "--screenshots",
            str(screenshots),
            "--chromium",
            chromium,
        ]
        if os.environ.get("KS_PERF"):
            command += ["--perf", os.environ["KS_PERF"]]
        run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    steps = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    for step in steps:  # shown with -s / on failure: the timings, the perf numbers
        print(json.dumps(step))
    assert run.returncode == 0, (
        f"e2e.mjs failed ({run.returncode}):\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}\n"
        f"server log:\n{log.read_text()[-3000:]}"
    )
    if os.environ.get("KS_PERF_ONLY"):  # only the login and the KS_PERF measurement ran
        return
    for name in SCREENSHOTS:
        shot = screenshots / f"{name}.png"
        assert shot.is_file(), f"missing screenshot {shot}"
        assert shot.stat().st_mtime >= started - 1, f"stale screenshot {shot}"
