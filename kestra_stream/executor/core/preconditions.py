"""The per-trigger precondition store of Flow triggers (kestra-features §4.3), as a pure function.

A Flow trigger with ``preconditions`` (or a legacy ``MultipleCondition``) fires once every listed
upstream condition has been met within a time window. Upstream executions live on every executor
partition, so the executors cannot keep that state: each sends a :class:`PreconditionRequest` (which
named sub-conditions the execution satisfied, and the execution to start if that completes the set) to
a topic keyed by ``tenant/namespace/flowId/triggerId`` of the *triggered* flow. One writer per key runs
:func:`evaluate` with its own state (changelogged) and sends the returned ``NewExecution`` on
``executions``, like the concurrency counter (``concurrency.py``).

Windows (``timeWindow.type``):

- ``DURATION_WINDOW`` (default, ``window`` P1D, ``windowAdvance`` 0): consecutive fixed windows
  ``[epoch + advance + k·window, … + window)``; a request outside the stored window starts a new one.
- ``SLIDING_WINDOW`` (``window`` P1D): a sub-condition counts if it was met in the last ``window``.
- ``DAILY_TIME_DEADLINE`` (``deadline``): between midnight and the deadline of each day (in the
  deadline's offset); requests after the deadline are not recorded.
- ``DAILY_TIME_WINDOW`` (``startTime``, ``endTime``): between both times of each day.

``resetOnSuccess`` (default true) clears the part once the trigger fired; false keeps it satisfied so
every later matching execution in the same window fires again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import orjson

from kestra_stream.executor.messages import NewExecution, PreconditionPart, PreconditionRequest
from kestra_stream.models.dates import format_instant
from kestra_stream.models.durations import parse_duration

__all__ = ["PartWindow", "PreconditionState", "evaluate", "window_bounds"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SEEN_LIMIT = 256
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartWindow:
    start: datetime
    end: datetime
    results: dict[str, datetime] = field(default_factory=dict)
    """Sub-condition name → when it was last met."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Flow outputs of the executions recorded in this window (merged, latest wins)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": format_instant(self.start),
            "end": format_instant(self.end),
            "results": {name: format_instant(date) for name, date in self.results.items()},
            "outputs": self.outputs,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartWindow:
        return cls(
            start=_parse_instant(data["start"]),
            end=_parse_instant(data["end"]),
            results={name: _parse_instant(date) for name, date in data.get("results", {}).items()},
            outputs=dict(data.get("outputs") or {}),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PreconditionState:
    parts: dict[str, PartWindow] = field(default_factory=dict)
    seen: tuple[str, ...] = ()
    """Recent request ids: a redelivered request changes nothing."""

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {"parts": {key: part.to_dict() for key, part in self.parts.items()}, "seen": self.seen}
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> PreconditionState:
        raw: dict[str, Any] = orjson.loads(data)
        return cls(
            parts={key: PartWindow.from_dict(part) for key, part in raw.get("parts", {}).items()},
            seen=tuple(raw.get("seen", ())),
        )


def _parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _offset_time(value: str) -> time:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = time.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _duration(value: Any, default: timedelta) -> timedelta:
    if value is None:
        return default
    if isinstance(value, timedelta):
        return value
    return parse_duration(str(value))


def _at(day: datetime, moment: time) -> datetime:
    assert moment.tzinfo is not None
    local = day.astimezone(moment.tzinfo)
    return datetime.combine(local.date(), moment.replace(tzinfo=None), tzinfo=moment.tzinfo)


def window_bounds(time_window: dict[str, Any] | None, date: datetime) -> tuple[datetime, datetime] | None:
    """``[start, end)`` of the window containing ``date``; None if ``date`` is outside a daily window."""
    spec = time_window or {}
    kind = str(spec.get("type") or "DURATION_WINDOW")
    if kind == "SLIDING_WINDOW":
        return date - _duration(spec.get("window"), _DAY), date + timedelta(microseconds=1)
    if kind == "DAILY_TIME_DEADLINE":
        deadline = _offset_time(str(spec["deadline"]))
        end = _at(date, deadline)
        start = end.replace(hour=0, minute=0, second=0, microsecond=0)
        return (start, end) if start <= date <= end else None
    if kind == "DAILY_TIME_WINDOW":
        start = _at(date, _offset_time(str(spec["startTime"])))
        end = _at(date, _offset_time(str(spec["endTime"])))
        return (start, end) if start <= date <= end else None
    window = _duration(spec.get("window"), _DAY)
    advance = _duration(spec.get("windowAdvance"), timedelta(0))
    if window <= timedelta(0):
        window = _DAY
    buckets = (date - _EPOCH - advance) // window
    start = _EPOCH + advance + buckets * window
    return start, start + window


def _current_window(existing: PartWindow | None, part: PreconditionPart, date: datetime) -> PartWindow | None:
    bounds = window_bounds(part.time_window, date)
    if bounds is None:
        return None
    start, end = bounds
    if str((part.time_window or {}).get("type")) == "SLIDING_WINDOW":
        kept = {name: when for name, when in (existing.results if existing else {}).items() if when > start}
        return PartWindow(
            start=start, end=end, results=kept, outputs=existing.outputs if existing and kept else {}
        )
    if existing is not None and existing.start <= date < existing.end:
        return existing
    return PartWindow(start=start, end=end)


def _complete(window: PartWindow, part: PreconditionPart) -> bool:
    return all(name in window.results for name in part.required)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _fired_execution(request: PreconditionRequest, outputs: dict[str, Any]) -> NewExecution:
    execution = request.execution
    trigger = execution.trigger
    if trigger is not None and outputs:
        variables = dict(trigger.variables or {})
        variables["outputs"] = _deep_merge(outputs, variables.get("outputs") or {})
        execution = execution.model_copy(
            update={"trigger": trigger.model_copy(update={"variables": variables})}
        )
    return NewExecution(execution=execution)


def evaluate(
    state: PreconditionState | None, request: PreconditionRequest
) -> tuple[PreconditionState, tuple[NewExecution, ...]]:
    """Record what ``request`` satisfied; start the triggered flow when every part is complete."""
    state = state or PreconditionState()
    if request.request_id in state.seen:
        return state, ()
    seen = (*state.seen, request.request_id)[-_SEEN_LIMIT:]
    parts = dict(state.parts)
    date = request.date
    upstream_outputs: dict[str, Any] = {}
    if request.execution.trigger is not None:
        upstream_outputs = dict((request.execution.trigger.variables or {}).get("outputs") or {})
    for part in request.parts:
        window = _current_window(parts.get(part.condition_id), part, date)
        if window is None:
            continue
        matched = [name for name in part.matched if name in part.required]
        if matched:
            results = dict(window.results)
            for name in matched:
                results[name] = date
            window = replace(window, results=results, outputs=_deep_merge(window.outputs, upstream_outputs))
        parts[part.condition_id] = window
    complete = all(
        part.condition_id in parts
        and _complete(parts[part.condition_id], part)
        and (window_bounds(part.time_window, date) is not None)
        for part in request.parts
    )
    if not complete or not any(part.matched for part in request.parts):
        return PreconditionState(parts=parts, seen=seen), ()
    merged: dict[str, Any] = {}
    for part in request.parts:
        merged = _deep_merge(merged, parts[part.condition_id].outputs)
        if part.reset_on_success:
            parts[part.condition_id] = replace(parts[part.condition_id], results={}, outputs={})
    return PreconditionState(parts=parts, seen=seen), (_fired_execution(request, merged),)
