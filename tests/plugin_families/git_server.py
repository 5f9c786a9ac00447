"""A real git server for the tests: bare repositories behind ``git http-backend`` (smart HTTP, the
protocol GitHub and GitLab speak), served by a small threaded HTTP server with basic auth."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .server_local import free_port

USERNAME = "git_username"
TOKEN = "ghp_t0k3n-for-tests"


@dataclass
class GitServer:
    base_url: str
    root: Path

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}.git"

    def create(self, name: str, *, files: dict[str, str] | None = None, branch: str = "main") -> str:
        """A bare repository, with one commit of ``files`` on ``branch`` when given; its URL."""
        bare = self.root / f"{name}.git"
        _git("init", "--quiet", "--bare", "-b", branch, str(bare), cwd=self.root)
        _git("config", "http.receivepack", "true", cwd=bare)
        if files:
            work = self.root / f"{name}-seed"
            _git("init", "--quiet", "-b", branch, str(work), cwd=self.root)
            for path, content in files.items():
                (work / path).parent.mkdir(parents=True, exist_ok=True)
                (work / path).write_text(content)
            _git("add", "-A", cwd=work)
            _git("commit", "--quiet", "-m", "seed", cwd=work)
            _git("push", "--quiet", str(bare), branch, cwd=work)
        return self.url(name)

    def reject_pushes(self, name: str, message: str) -> None:
        hook = self.root / f"{name}.git" / "hooks" / "pre-receive"
        hook.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
        hook.chmod(0o755)

    def checkout(self, name: str, branch: str = "main") -> Path:
        """A fresh clone of the repository as it is on the server (to check what was pushed)."""
        target = self.root / f"{name}-check-{os.urandom(4).hex()}"
        _git(
            "clone", "--quiet", "--branch", branch, str(self.root / f"{name}.git"), str(target), cwd=self.root
        )
        return target

    def log(self, name: str, branch: str = "main") -> list[str]:
        """``author <email>|subject`` per commit of ``branch``, newest first (none: the branch is absent)."""
        bare = self.root / f"{name}.git"
        if subprocess.run(
            ["git", "rev-parse", "--verify", "-q", branch], cwd=bare, capture_output=True
        ).returncode:
            return []
        return _git("log", "--format=%an <%ae>|%s", branch, cwd=bare).splitlines()


def _git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "seed",
        "GIT_AUTHOR_EMAIL": "seed@example.com",
        "GIT_COMMITTER_NAME": "seed",
        "GIT_COMMITTER_EMAIL": "seed@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@contextmanager
def git_server(root: Path) -> Iterator[GitServer]:
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    expected = "Basic " + base64.b64encode(f"{USERNAME}:{TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.end_headers()
                return
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": USERNAME,
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            }
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers: list[tuple[str, str]] = []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield GitServer(f"http://127.0.0.1:{port}", root)
    finally:
        server.shutdown()
        server.server_close()
