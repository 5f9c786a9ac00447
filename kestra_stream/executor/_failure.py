"""The shell's last resort when the core cannot handle an event (it raised, its output is too big,
the event is undecodable): the execution becomes FAILED with the reason logged, its jobs killed,
and it is purged later like any terminated execution."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from kestra_stream.executor.core import EmitKill, EmitLog, Outcome
from kestra_stream.executor.messages import ExecutionKilled
from kestra_stream.executor.state import ExecutorState, Timer, TimerKind
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel

PURGE_AFTER = timedelta(minutes=10)


def failed_outcome(state: ExecutorState, reason: str, *, now: datetime) -> Outcome:
    execution = state.execution
    failed = (
        execution
        if execution.state.current is StateType.FAILED
        else execution.with_state(StateType.FAILED, at=now)
    )
    purge = Timer(timer_id=f"purge-{uuid.uuid4().hex[:8]}", due=now + PURGE_AFTER, kind=TimerKind.PURGE)
    new_state = replace(state, execution=failed, timers=(purge,))
    entry = LogEntry(
        tenant_id=execution.tenant_id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        execution_id=execution.id,
        timestamp=now,
        level=LogLevel.ERROR,
        message=reason,
    )
    return Outcome(
        state=new_state,
        commands=(EmitKill(kill=ExecutionKilled(execution_id=execution.id)), EmitLog(entry=entry)),
    )
