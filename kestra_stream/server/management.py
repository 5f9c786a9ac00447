"""The management port (``endpoints.all.port``): ``/prometheus`` and ``/health``.

``/health/liveness`` answers the process's own checks (its threads); ``/health`` and
``/health/readiness`` add the external dependencies registered in :data:`DEPENDENCIES` (process-wide,
like Prometheus' default registry): a required one down makes them DOWN (503), an optional one down
is reported but leaves the status UP (degraded: e.g. Elasticsearch for a webserver that still accepts
writes)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from kestra_stream.server.ports import MANAGEMENT_PORT_SETTING, unavailable

HealthCheck = Callable[[], dict[str, bool]]


class DependencyRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checks: dict[str, tuple[Callable[[], bool], bool]] = {}

    def register(self, name: str, check: Callable[[], bool], *, required: bool = True) -> None:
        with self._lock:
            self._checks[name] = (check, required)

    def unregister(self, name: str) -> None:
        with self._lock:
            self._checks.pop(name, None)

    def results(self) -> tuple[dict[str, bool], set[str]]:
        """Every check's result, and the names of the optional ones."""
        with self._lock:
            checks = dict(self._checks)
        results: dict[str, bool] = {}
        for name, (check, _) in checks.items():
            try:
                results[name] = bool(check())
            except Exception:  # a failing probe means the dependency is down
                results[name] = False
        return results, {name for name, (_, required) in checks.items() if not required}


DEPENDENCIES = DependencyRegistry()


def health_body(details: dict[str, bool], optional: Collection[str] = ()) -> tuple[bool, dict[str, object]]:
    up = all(ok for name, ok in details.items() if name not in optional)
    return up, {
        "status": "UP" if up else "DOWN",
        "details": {k: "UP" if v else "DOWN" for k, v in details.items()},
    }


class ManagementServer:
    def __init__(self, *, port: int, health: HealthCheck, host: str = "0.0.0.0") -> None:
        check = health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0].rstrip("/")
                if path == "/prometheus":
                    self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
                elif path in ("/health", "/health/liveness", "/health/readiness"):
                    details, optional = check(), set[str]()
                    if path != "/health/liveness":
                        dependencies, optional = DEPENDENCIES.results()
                        details = {**details, **dependencies}
                    up, body = health_body(details, optional)
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

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as error:
            raise unavailable(
                error, port=port, purpose="management port", setting=MANAGEMENT_PORT_SETTING
            ) from None
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
