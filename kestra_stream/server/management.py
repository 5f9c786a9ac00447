"""The management port (``endpoints.all.port``): ``/prometheus`` and ``/health``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

HealthCheck = Callable[[], dict[str, bool]]


class ManagementServer:
    def __init__(self, *, port: int, health: HealthCheck, host: str = "0.0.0.0") -> None:
        check = health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0].rstrip("/")
                if path == "/prometheus":
                    self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
                elif path in ("/health", "/health/liveness", "/health/readiness"):
                    details = check()
                    up = all(details.values())
                    body = {
                        "status": "UP" if up else "DOWN",
                        "details": {k: "UP" if v else "DOWN" for k, v in details.items()},
                    }
                    self._send(200 if up else 503, orjson.dumps(body), "application/json")
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="management", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
