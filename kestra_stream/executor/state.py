"""What the executor keeps per execution (its state store value, changelogged to ``execution-states``).

``ExecutorState`` is the execution plus the core's private bookkeeping: pending timers (retry
delays, attempt timeouts, pause durations, delayed starts, purge) and the concurrency slot status.
Worker-result dedup needs no extra set: every attempt of a task run keeps its own state, and a
result for an attempt that is already terminal (or not the current one) is ignored.

Bytes layout (orjson): ``{"execution": {...Kestra JSON...}, "timers": [...], "concurrency": "..."}``.
Readers that only want the execution (indexer, webserver followers) use :func:`execution_from_bytes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from kestra_stream.models.dates import format_instant
from kestra_stream.models.execution import Execution

__all__ = ["ConcurrencySlot", "ExecutorState", "Timer", "TimerKind", "execution_from_bytes"]


class TimerKind(StrEnum):
    RETRY = "RETRY"
    """A task run waits for its next attempt."""
    ATTEMPT_TIMEOUT = "ATTEMPT_TIMEOUT"
    """An attempt outlived its task's ``timeout`` plus the grace period: fail it."""
    PAUSE = "PAUSE"
    """A Pause task's ``pauseDuration`` elapsed."""
    LOOP = "LOOP"
    """A LoopUntil waits ``checkFrequency.interval`` before its next iteration."""
    SCHEDULED_START = "SCHEDULED_START"
    """An execution created with a ``scheduleDate`` in the future."""
    FLOW_RETRY = "FLOW_RETRY"
    """Flow-level retry delay before RETRYING → RUNNING or a new execution."""
    PURGE = "PURGE"
    """A terminated execution is dropped from the store (tombstone)."""
    SLA = "SLA"
    """A ``MAX_DURATION`` SLA of the flow: breached if the execution still runs when it fires."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Timer:
    timer_id: str
    due: datetime
    kind: TimerKind
    task_run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.timer_id, "due": format_instant(self.due), "kind": self.kind.value}
        if self.task_run_id is not None:
            data["taskRunId"] = self.task_run_id
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timer:
        return cls(
            timer_id=data["id"],
            due=datetime.fromisoformat(data["due"].replace("Z", "+00:00")),
            kind=TimerKind(data["kind"]),
            task_run_id=data.get("taskRunId"),
        )


class ConcurrencySlot(StrEnum):
    NONE = "NONE"
    """The flow has no concurrency limit, or the execution never asked for a slot."""
    REQUESTED = "REQUESTED"
    """Waiting for the per-flow counter's decision (the execution stays CREATED or QUEUED)."""
    HELD = "HELD"
    """Running on a slot that must be released when the execution terminates."""
    RELEASED = "RELEASED"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutorState:
    execution: Execution
    timers: tuple[Timer, ...] = ()
    concurrency: ConcurrencySlot = ConcurrencySlot.NONE
    extra: dict[str, Any] = field(default_factory=dict)
    """Bookkeeping of rules that needs no field of its own (kept JSON-compatible)."""

    @property
    def execution_id(self) -> str:
        return self.execution.id

    def next_due(self) -> datetime | None:
        """When the shell must wake this execution up (the earliest timer), if ever."""
        return min((timer.due for timer in self.timers), default=None)

    def due_timers(self, now: datetime) -> tuple[Timer, ...]:
        return tuple(timer for timer in self.timers if timer.due <= now)

    def with_execution(self, execution: Execution) -> ExecutorState:
        return replace(self, execution=execution)

    def to_bytes(self) -> bytes:
        data: dict[str, Any] = {"execution": self.execution.to_json_dict()}
        if self.timers:
            data["timers"] = [timer.to_dict() for timer in self.timers]
        if self.concurrency is not ConcurrencySlot.NONE:
            data["concurrency"] = self.concurrency.value
        if self.extra:
            data["extra"] = self.extra
        return orjson.dumps(data)

    @classmethod
    def from_bytes(cls, data: bytes) -> ExecutorState:
        raw = orjson.loads(data)
        return cls(
            execution=Execution.model_validate(raw["execution"]),
            timers=tuple(Timer.from_dict(timer) for timer in raw.get("timers", ())),
            concurrency=ConcurrencySlot(raw.get("concurrency", ConcurrencySlot.NONE.value)),
            extra=dict(raw.get("extra") or {}),
        )


def execution_from_bytes(data: bytes) -> Execution:
    """Only the execution of a serialised :class:`ExecutorState` (indexer, webserver followers)."""
    return Execution.model_validate(orjson.loads(data)["execution"])
