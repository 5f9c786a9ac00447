"""Service instances: every process heartbeats itself to ``service-instances``; executors track them."""

from __future__ import annotations

import fcntl
import os
import re
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import structlog

from kestra_stream.queue import Producer, Queue, TopicRef

log = structlog.get_logger(__name__)

SERVICE_INSTANCES = TopicRef("service-instances")


class ServiceRole(StrEnum):
    STANDALONE = "STANDALONE"
    EXECUTOR = "EXECUTOR"
    WORKER = "WORKER"
    WEBSERVER = "WEBSERVER"
    INDEXER = "INDEXER"
    SCHEDULER = "SCHEDULER"


class ServiceState(StrEnum):
    RUNNING = "RUNNING"
    TERMINATING = "TERMINATING"
    TERMINATED_GRACEFULLY = "TERMINATED_GRACEFULLY"
    TERMINATED_FORCED = "TERMINATED_FORCED"


def new_instance_id() -> str:
    return uuid.uuid4().hex


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class InstanceIdentity:
    """A stable name for this process's role on this host, for ``transactional.id``.

    ``kestra.server.instance-id`` when configured (must be unique among the live processes); else
    ``<hostname>-<role>-<index>`` where ``index`` is the lowest one no other live process of this host
    holds: each index is an exclusive ``flock`` on ``<tmp>/kestra-stream/instances/<name>.lock``,
    released by the OS when the process dies. A restarted executor thus gets its dead predecessor's
    name back, and with it the same ``transactional.id``: its producer fences the predecessor's open
    transaction at once instead of waiting for ``transaction.timeout.ms``.
    """

    def __init__(self, name: str, lock_fd: int | None = None) -> None:
        self.name = name
        self._lock_fd = lock_fd

    @classmethod
    def claim(
        cls,
        *,
        role: str,
        configured: str | None = None,
        hostname: str | None = None,
        lock_dir: Path | None = None,
    ) -> InstanceIdentity:
        if configured:
            return cls(_UNSAFE.sub("_", configured))
        host = _UNSAFE.sub("_", hostname or socket.gethostname()) or "localhost"
        directory = lock_dir or Path(tempfile.gettempdir()) / "kestra-stream" / "instances"
        directory.mkdir(parents=True, exist_ok=True)
        index = 0
        while True:
            name = f"{host}-{role.lower()}-{index}"
            fd = os.open(directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                index += 1
                continue
            return cls(name, fd)

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceInstance:
    id: str
    roles: tuple[ServiceRole, ...]
    state: ServiceState
    last_seen: float
    worker_group: str | None = None
    hostname: str = ""
    pid: int = 0
    identity: str = ""
    """The host-scoped name it holds exclusively while alive (its Kafka group member name)."""
    started: float = 0.0

    @property
    def runs_worker(self) -> bool:
        return ServiceRole.WORKER in self.roles or ServiceRole.STANDALONE in self.roles

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "id": self.id,
            "roles": [role.value for role in self.roles],
            "state": self.state.value,
            "lastSeen": self.last_seen,
            "hostname": self.hostname,
            "pid": self.pid,
        }
        if self.identity:
            data["identity"] = self.identity
            data["startedAt"] = self.started
        if self.worker_group:
            data["workerGroup"] = self.worker_group
        return orjson.dumps(data)

    @classmethod
    def from_json(cls, data: bytes) -> ServiceInstance:
        raw = orjson.loads(data)
        return cls(
            id=str(raw["id"]),
            roles=tuple(ServiceRole(role) for role in raw.get("roles", ())),
            state=ServiceState(raw["state"]),
            last_seen=float(raw["lastSeen"]),
            worker_group=raw.get("workerGroup"),
            hostname=str(raw.get("hostname", "")),
            pid=int(raw.get("pid", 0)),
            identity=str(raw.get("identity", "")),
            started=float(raw.get("startedAt", 0.0)),
        )


class Heartbeater:
    """Writes this process's instance every ``interval`` seconds until stopped (then its final state)."""

    def __init__(
        self,
        *,
        producer: Producer,
        instance_id: str,
        roles: tuple[ServiceRole, ...],
        worker_group: str | None = None,
        interval: float = 3.0,
        identity: str = "",
    ) -> None:
        self._producer = producer
        self._instance = ServiceInstance(
            id=instance_id,
            roles=roles,
            state=ServiceState.RUNNING,
            last_seen=time.time(),
            worker_group=worker_group,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            identity=identity,
            started=time.time(),
        )
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    @property
    def instance_id(self) -> str:
        return self._instance.id

    def start(self) -> None:
        self.beat()
        self._thread.start()

    def beat(self, state: ServiceState | None = None) -> None:
        if state is not None:
            self._instance = replace(self._instance, state=state)
        self._instance = replace(self._instance, last_seen=time.time())
        try:
            self._producer.produce(
                SERVICE_INSTANCES, key=self._instance.id.encode(), value=self._instance.to_json()
            )
        except Exception as error:  # a missed heartbeat is retried at the next interval
            log.warning("heartbeat.failed", error=str(error))

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.beat()

    def stop(self, final: ServiceState) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.beat(final)
        self._producer.flush(5)


class LivenessTracker:
    """Follows ``service-instances``; workers silent longer than ``timeout`` are dead.

    Nothing is declared dead during ``initial_delay`` after start: a starting executor first needs
    to read the heartbeats that are already there.
    """

    def __init__(
        self,
        *,
        queue: Queue,
        timeout: float,
        initial_delay: float | None = None,
        strategy: str = "IMMEDIATELY",
        grace_period: float = 0.0,
    ) -> None:
        """``strategy``: ``kestra.server.worker-task-restart-strategy`` (``NEVER`` declares no worker
        dead; ``AFTER_TERMINATION_GRACE_PERIOD`` waits ``grace_period`` more after the timeout)."""
        self._reader = queue.broadcast_reader(topic=SERVICE_INSTANCES, start="beginning")
        self._timeout = timeout
        self._never = strategy == "NEVER"
        self._silence = timeout + (grace_period if strategy == "AFTER_TERMINATION_GRACE_PERIOD" else 0.0)
        self._not_before = time.time() + (timeout if initial_delay is None else initial_delay)
        self._instances: dict[str, ServiceInstance] = {}
        self._replacement_seen = False
        self._caught_up = False
        self._live_groups: frozenset[str] = frozenset()

    def update(self, timeout: float = 0.0) -> None:
        self._read(timeout)
        self._caught_up = self._caught_up or self._reader.at_end()
        now = time.time()
        self._live_groups = frozenset(
            instance.worker_group
            for instance in self._instances.values()
            if instance.worker_group
            and instance.runs_worker
            and instance.state is ServiceState.RUNNING
            and now - instance.last_seen <= self._timeout
        )

    def catch_up(self, timeout: float = 10.0) -> None:
        """Read the heartbeats already on the topic (bounded), before the executor starts."""
        deadline = time.monotonic() + timeout
        while not self._reader.at_current_end(max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                log.warning("liveness.catch_up_timeout")
                break
            self._read(0.05)
        self.update()

    def has_live_worker(self, group: str) -> bool:
        """Whether a worker of ``group`` heartbeated within ``liveness.timeout`` (the core's
        ``WorkerGroups``, for ``workerGroup.fallback``). True until the heartbeats already on the
        topic were read: a starting executor does not fail tasks for want of having looked."""
        return not self._caught_up or group in self._live_groups

    def _read(self, timeout: float) -> None:
        for record in self._reader.poll(1000, timeout):
            if record.key is None:
                continue
            if record.value is None:
                self._instances.pop(record.key.decode(), None)
                continue
            try:
                instance = ServiceInstance.from_json(record.value)
            except (ValueError, KeyError, TypeError) as error:
                log.warning("liveness.undecodable_instance", error=str(error))
                continue
            if instance.id not in self._instances and any(
                _replaces(instance, known) for known in self._instances.values()
            ):
                self._replacement_seen = True
            self._instances[instance.id] = instance

    def take_replacement(self) -> bool:
        """Whether an instance that replaces another was seen since the last call."""
        seen, self._replacement_seen = self._replacement_seen, False
        return seen

    def instances(self) -> dict[str, ServiceInstance]:
        return dict(self._instances)

    def dead_workers(self, now: float | None = None) -> list[str]:
        """Workers silent too long, forced to terminate, or replaced: a worker that holds the identity
        of another since after that one's last heartbeat could only claim it once the other died (the
        identity is an exclusive lock on their host), so the other's tasks are resubmitted at once,
        with no timeout or grace period to wait."""
        now = time.time() if now is None else now
        if self._never:
            return []
        unfinished = (ServiceState.RUNNING, ServiceState.TERMINATING, ServiceState.TERMINATED_FORCED)
        workers = [i for i in self._instances.values() if i.runs_worker and i.state in unfinished]
        replaced = {
            old.id
            for old in workers
            for new in self._instances.values()
            if new.id != old.id and _replaces(new, old)
        }
        if now < self._not_before:
            return sorted(replaced)
        return sorted(
            instance.id
            for instance in workers
            if instance.id in replaced
            or instance.state is ServiceState.TERMINATED_FORCED
            or now - instance.last_seen > self._silence
        )

    def close(self) -> None:
        self._reader.close()


def _replaces(new: ServiceInstance, old: ServiceInstance) -> bool:
    return bool(
        new.identity
        and new.identity == old.identity
        and new.hostname == old.hostname
        and new.started > old.last_seen
    )
