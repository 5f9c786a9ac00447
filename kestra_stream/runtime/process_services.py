"""What the worker of this process offers tasks beyond their ``RunContext``: its queue and the
global plugin defaults, so a task can write flows exactly as the API does (git's SyncFlows).

Bound once by the server when it starts its worker; a task run elsewhere (a unit test's context)
gets a clear failure instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kestra_stream.flows import PluginDefault
from kestra_stream.queue import Queue
from kestra_stream.runtime.errors import TaskFailure


@dataclass(frozen=True, kw_only=True)
class WorkerServices:
    queue: Queue
    defaults: tuple[PluginDefault, ...] = ()


_lock = threading.Lock()
_bound: WorkerServices | None = None


def bind_worker_services(services: WorkerServices | None) -> None:
    global _bound
    with _lock:
        _bound = services


def worker_services(what: str) -> WorkerServices:
    with _lock:
        bound = _bound
    if bound is None:
        raise TaskFailure(f"{what} needs a worker started by a kestra-stream server (no queue bound)")
    return bound
