"""The shell's last resort when the core cannot handle an event (it raised, its output is too big,
the event is undecodable): ``core.fail_execution`` — the execution FAILED with the reason logged, its
running task runs failed and their jobs killed, the parent told, the slot released, purged later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kestra_stream.executor.core import Outcome, fail_execution
from kestra_stream.executor.state import ExecutorState


def failed_outcome(state: ExecutorState, reason: str, *, now: datetime, flows: Any = None) -> Outcome:
    return fail_execution(state, reason, now=now, flows=flows)
