"""Worker liveness, pure part: which workers are dead, and which executions must hear about it.

The shell feeds heartbeats (``service-instances``) in and sends ``WorkerDied(worker_id)`` to every
execution it owns that :func:`executions_using_worker` names; the core then marks those attempts
RESUBMITTED and submits new ones (``resubmit_runs_of_dead_worker``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from kestra_stream.executor.state import ExecutorState

DEFAULT_LIVENESS_TIMEOUT = timedelta(seconds=45)
"""``kestra.server.liveness.timeout``."""


def dead_workers(
    last_seen: Mapping[str, datetime], *, now: datetime, timeout: timedelta = DEFAULT_LIVENESS_TIMEOUT
) -> set[str]:
    """Workers whose last heartbeat is older than ``timeout``."""
    return {worker_id for worker_id, seen in last_seen.items() if now - seen > timeout}


def uses_worker(state: ExecutorState, worker_id: str) -> bool:
    """Whether an unfinished attempt of the execution runs on ``worker_id``."""
    for run in state.execution.task_runs():
        attempts = run.attempts or ()
        if (
            attempts
            and attempts[-1].worker_id == worker_id
            and not attempts[-1].state.current.is_terminated()
        ):
            return True
    return False


def executions_using_worker(states: Iterable[ExecutorState], worker_id: str) -> list[str]:
    return [state.execution.id for state in states if uses_worker(state, worker_id)]
