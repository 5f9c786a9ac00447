"""``handle``: the pure entry point of the orchestration core."""

from __future__ import annotations

from datetime import datetime

from kestra_stream.executor.core._types import CoreSettings, ExecutorEvent, FlowLookup, Outcome
from kestra_stream.executor.state import ExecutorState

_DEFAULT_SETTINGS: CoreSettings | None = None


def handle(
    state: ExecutorState | None,
    event: ExecutorEvent,
    *,
    flows: FlowLookup,
    now: datetime,
    settings: CoreSettings | None = None,
) -> Outcome:
    """Apply one event to one execution: the new state and the commands to produce. No I/O, never raises."""
    raise NotImplementedError
