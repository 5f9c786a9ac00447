"""The per-flow concurrency counter (kestra-features §7.8), as a pure function.

Executions of one flow live on many executor partitions, so no executor can count them. Slots are
counted by a counter keyed by flow (``tenant/namespace/flowId``): executors send it
:class:`ConcurrencyRequest` (ACQUIRE when an execution would start, RELEASE when it ends) on a topic
keyed by flow, and it answers each execution with a :class:`ConcurrencyDecision` on ``executions``.
One writer per flow (the partition owner), FIFO queue, limit and behavior taken from each request
(the latest flow revision at the time the executor asked).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson

from kestra_stream.executor.messages import (
    ConcurrencyAction,
    ConcurrencyDecision,
    ConcurrencyRequest,
    ConcurrencyVerdict,
)

__all__ = ["ConcurrencyCounter", "count"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConcurrencyCounter:
    running: tuple[str, ...] = ()
    queued: tuple[str, ...] = ()
    limit: int = 1

    def to_bytes(self) -> bytes:
        return orjson.dumps({"running": self.running, "queued": self.queued, "limit": self.limit})

    @classmethod
    def from_bytes(cls, data: bytes) -> ConcurrencyCounter:
        raw: dict[str, Any] = orjson.loads(data)
        return cls(running=tuple(raw["running"]), queued=tuple(raw["queued"]), limit=int(raw["limit"]))


def _decision(execution_id: str, verdict: ConcurrencyVerdict) -> ConcurrencyDecision:
    return ConcurrencyDecision(execution_id=execution_id, verdict=verdict)


def count(
    counter: ConcurrencyCounter | None, request: ConcurrencyRequest
) -> tuple[ConcurrencyCounter, tuple[ConcurrencyDecision, ...]]:
    """Apply one request; returns the new counter and the decisions to send (idempotent on replays)."""
    counter = counter or ConcurrencyCounter()
    execution_id = request.execution_id
    if request.action is ConcurrencyAction.ACQUIRE:
        limit = request.limit or counter.limit
        counter = replace(counter, limit=limit)
        if execution_id in counter.running:
            return counter, (_decision(execution_id, ConcurrencyVerdict.RUN),)
        if execution_id in counter.queued:
            return counter, (_decision(execution_id, ConcurrencyVerdict.QUEUE),)
        if len(counter.running) < limit:
            counter = replace(counter, running=(*counter.running, execution_id))
            return counter, (_decision(execution_id, ConcurrencyVerdict.RUN),)
        behavior = (request.behavior or "QUEUE").upper()
        if behavior == "QUEUE":
            counter = replace(counter, queued=(*counter.queued, execution_id))
            return counter, (_decision(execution_id, ConcurrencyVerdict.QUEUE),)
        verdict = ConcurrencyVerdict.CANCEL if behavior == "CANCEL" else ConcurrencyVerdict.FAIL
        return counter, (_decision(execution_id, verdict),)
    running = tuple(item for item in counter.running if item != execution_id)
    queued = tuple(item for item in counter.queued if item != execution_id)
    decisions: list[ConcurrencyDecision] = []
    while queued and len(running) < counter.limit:
        promoted, queued = queued[0], queued[1:]
        running = (*running, promoted)
        decisions.append(_decision(promoted, ConcurrencyVerdict.RUN))
    return replace(counter, running=running, queued=queued), tuple(decisions)
