"""Real Kestra 1.3.31 (``../shared/kestra-reference/serve.sh``), in the same run.

Its harness has no webserver (no webhooks): ``POST /peer/bench`` builds each execution like the
webserver's POST would and emits it on Kestra's execution queue inside the JVM, open loop, and answers
Kestra's own figures (end - submit from the execution's state history, completed in the window).
So the real-Kestra side has no HTTP cost at all: it is its embedded ceiling.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite.assemblies import free_port

REFERENCE_DIRS = (
    Path(__file__).resolve().parents[3] / "shared" / "kestra-reference",
    Path("/work/kestra-ref"),
)


def reference_dir() -> Path | None:
    override = os.environ.get("KESTRA_REFERENCE_DIR")
    candidates = [Path(override)] if override else list(REFERENCE_DIRS)
    return next((path for path in candidates if (path / "serve.sh").exists()), None)


@dataclass
class RealKestra:
    url: str
    process: subprocess.Popen[bytes]

    def bench(self, flow: str, **params: Any) -> dict[str, Any]:
        body = json.dumps({"flow": flow, "timeout_s": 180, **params}).encode()
        request = urllib.request.Request(
            self.url + "/peer/bench", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=1800) as response:
            result: dict[str, Any] = json.loads(response.read())
        return result


@contextmanager
def real_kestra(workdir: Path) -> Iterator[RealKestra | None]:
    """The warm JVM, or None (with a note) when the reference engine is not on this machine."""
    directory = reference_dir()
    if directory is None:
        print("real Kestra: no serve.sh found (KESTRA_REFERENCE_DIR, ../shared/kestra-reference): skipped")
        yield None
        return
    port = free_port()
    log = (workdir / "kestra.log").open("wb")
    # serve.sh stops when its stdin closes: keep a pipe open for the run
    process = subprocess.Popen(
        [str(directory / "serve.sh"), str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log
    )
    try:
        deadline = time.monotonic() + 240
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise SystemExit(f"real Kestra exited ({process.poll()}): see {workdir / 'kestra.log'}")
            if b'"listening"' in line:
                break
        yield RealKestra(url=f"http://127.0.0.1:{port}", process=process)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
