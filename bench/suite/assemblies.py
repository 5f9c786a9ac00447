"""The three kestra-stream assemblies the suite drives, each as real ``kestra-stream server ...``
processes on free ports:

- ``local``: ``server local`` (memory queue, memory repository, everything in one process);
- ``standalone``: ``server standalone`` on the shared Kafka and Elasticsearch;
- ``cluster``: ``server webserver``, ``executor``, two ``worker``, ``scheduler`` and ``indexer``, each
  its own process, on Kafka and Elasticsearch.

Kafka/Elasticsearch assemblies get topics, consumer groups and indices under a prefix unique to the
run, deleted at the end.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[2]
USER = "admin@kestra.io"
PASSWORD = "Kestra123"
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
ASSEMBLIES = ("local", "standalone", "cluster")
CLUSTER_ROLES = (
    ("webserver", "webserver"),
    ("executor", "executor"),
    ("worker-1", "worker"),
    ("worker-2", "worker"),
    ("scheduler", "scheduler"),
    ("indexer", "indexer"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, kw_only=True)
class Infra:
    kafka_bootstrap: str
    es_url: str

    @classmethod
    def from_env(cls) -> Infra:
        return cls(
            kafka_bootstrap=os.environ.get("KESTRA_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            es_url=os.environ.get("KESTRA_TEST_ES_URL", "http://127.0.0.1:9200"),
        )


@dataclass
class Assembly:
    name: str
    base_url: str
    infra: Infra
    prefix: str | None
    """Topic/consumer/index prefix (Kafka assemblies), None for ``local``."""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: Path | None = None

    @property
    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise SystemExit(
                    f"{self.name}: process {name} exited ({process.returncode}):\n{self.tail(name)}"
                )

    def tail(self, name: str) -> str:
        path = self.logs / f"{name}.log" if self.logs else None
        return path.read_text(errors="replace")[-3000:] if path and path.exists() else ""


def _environment(prefix: str | None, storage: Path, infra: Infra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESTRA_") or k.startswith("KESTRA_TEST_")}
    env.update(
        {
            "KESTRA_STORAGE_LOCAL_BASE_PATH": str(storage),
            "KESTRA_SERVER_BASIC_AUTH_USERNAME": USER,
            "KESTRA_SERVER_BASIC_AUTH_PASSWORD": PASSWORD,
            # every process's management port is ephemeral: nothing of the suite collides
            "KESTRA_CONFIGURATION": "endpoints:\n  all:\n    port: 0\n",
        }
    )
    if prefix is not None:
        env.update(
            {
                "KESTRA_QUEUE_TYPE": "kafka",
                "KESTRA_REPOSITORY_TYPE": "elasticsearch",
                "KESTRA_KAFKA_CLIENT_PROPERTIES_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
                "KESTRA_KAFKA_DEFAULTS_TOPIC_PREFIX": prefix,
                "KESTRA_KAFKA_DEFAULTS_CONSUMER_PREFIX": prefix,
                "KESTRA_KAFKA_DEFAULTS_TOPIC_PARTITIONS": "4",
                "KESTRA_ELASTICSEARCH_CLIENT_HTTP_HOSTS": infra.es_url,
                "KESTRA_ELASTICSEARCH_DEFAULTS_INDICE_PREFIX": prefix,
            }
        )
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "kestra_stream", *args]


def _spawn(
    assembly: Assembly, name: str, args: list[str], env: dict[str, str], extra_env: dict[str, str]
) -> None:
    assert assembly.logs is not None
    with (assembly.logs / f"{name}.log").open("wb") as output:
        assembly.processes[name] = subprocess.Popen(
            _cli(*args),
            env={**env, **extra_env},
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )


def _wait_for_ping(assembly: Assembly, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assembly.check_alive()
        try:
            with urllib.request.urlopen(assembly.base_url + "/ping", timeout=2) as response:
                if response.read() == b"pong":
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{assembly.name}: no answer on /ping after {timeout:.0f}s")


@contextmanager
def started(
    name: str, *, infra: Infra, workdir: Path, role_env: dict[str, dict[str, str]] | None = None
) -> Iterator[Assembly]:
    """Start assembly ``name``; ``role_env`` adds environment variables per process name (profiling)."""
    role_env = role_env or {}
    prefix = None if name == "local" else f"bench{uuid.uuid4().hex[:8]}_"
    port = free_port()
    assembly = Assembly(name=name, base_url=f"http://127.0.0.1:{port}", infra=infra, prefix=prefix)
    assembly.logs = workdir / f"logs-{name}"
    assembly.logs.mkdir(parents=True, exist_ok=True)
    flows = workdir / "no-flows"
    flows.mkdir(exist_ok=True)
    env = _environment(prefix, workdir / f"storage-{name}", infra)
    try:
        if name == "local":
            _spawn(
                assembly,
                "local",
                ["server", "local", "--port", str(port), "-f", str(flows)],
                env,
                role_env.get("local", {}),
            )
        else:
            for command in (["topics", "apply"], ["indexes", "apply"]):
                subprocess.run(
                    _cli(*command), env=env, check=True, capture_output=True, timeout=180, cwd=REPO
                )
            if name == "standalone":
                _spawn(
                    assembly,
                    "standalone",
                    ["server", "standalone", "--port", str(port)],
                    env,
                    role_env.get("standalone", {}),
                )
            else:
                for process_name, role in CLUSTER_ROLES:
                    args = ["server", role] + (["--port", str(port)] if role == "webserver" else [])
                    _spawn(assembly, process_name, args, env, role_env.get(process_name, {}))
        _wait_for_ping(assembly)
        yield assembly
    finally:
        _stop(assembly)
        if prefix is not None:
            drop_run_data(prefix, infra)


def _stop(assembly: Assembly) -> None:
    for process in assembly.processes.values():
        if process.poll() is None:
            process.terminate()
    for process in assembly.processes.values():
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def drop_run_data(prefix: str, infra: Infra) -> None:
    """The run's topics, indices and index templates (all under its unique prefix)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": infra.kafka_bootstrap})
    topics = [topic for topic in admin.list_topics(timeout=10).topics if topic.startswith(prefix)]
    if topics:
        for future in admin.delete_topics(topics, operation_timeout=30).values():
            future.result(timeout=30)
    with urllib.request.urlopen(f"{infra.es_url}/_cat/indices/{prefix}*?format=json", timeout=10) as response:
        indices = [row["index"] for row in orjson.loads(response.read())]
    try:
        with urllib.request.urlopen(f"{infra.es_url}/_index_template/{prefix}*", timeout=10) as response:
            templates = [item["name"] for item in orjson.loads(response.read()).get("index_templates", [])]
    except urllib.error.HTTPError:  # 404: no template matches
        templates = []
    for path in [*indices, *(f"_index_template/{template}" for template in templates)]:
        urllib.request.urlopen(
            urllib.request.Request(f"{infra.es_url}/{path}", method="DELETE"), timeout=30
        ).close()
