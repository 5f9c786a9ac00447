"""Flow ``checks`` (kestra-features §7.10) and ``sla`` (§7.9).

Rules: ``evaluate_checks`` (pure, also for the API: the most restrictive failed behavior and the
messages), ``apply_checks`` (at start: FAIL_EXECUTION/BLOCK_EXECUTION → FAILED without tasks,
CREATE_EXECUTION → WARN logs), ``schedule_sla_timers`` (MAX_DURATION from the start date),
``fire_sla``, ``assert_slas`` (EXECUTION_ASSERTION at every execution state change, the final one
included), ``breach_sla`` (labels, then FAIL/CANCEL halt or NONE log).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kestra_stream.executor.core._context import build_context
from kestra_stream.executor.core._rendering import render_condition
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.state import Timer, TimerKind
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.flows.model import SLA, CheckBehavior, Flow, SLABehavior, SLAType
from kestra_stream.models.labels import Label
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel

SLA_SCHEDULED = "slaScheduled"
SLA_BREACHED = "slaBreached"
_RANK = {CheckBehavior.CREATE_EXECUTION: 1, CheckBehavior.FAIL_EXECUTION: 2, CheckBehavior.BLOCK_EXECUTION: 3}


@dataclass(frozen=True, slots=True)
class ChecksResult:
    behavior: CheckBehavior | None
    """The most restrictive behavior among failed checks; None when every check passed."""
    messages: tuple[str, ...] = ()


def evaluate_checks(flow: Flow, context: Mapping[str, Any], engine: ExpressionEngine) -> ChecksResult:
    """Every check's condition (a render error counts as a failed check, its message says so)."""
    behavior: CheckBehavior | None = None
    messages: list[str] = []
    for check in flow.checks or ():
        try:
            passed = render_condition(engine, check.condition, context)
            message = check.message
        except Exception as error:
            passed, message = False, f"{check.message} (condition error: {error})"
        if passed:
            continue
        messages.append(message)
        if behavior is None or _RANK[check.behavior] > _RANK[behavior]:
            behavior = check.behavior
    return ChecksResult(behavior=behavior, messages=tuple(messages))


def apply_checks(working: Working) -> bool:
    """At start. True when the execution must not run (it is then terminated FAILED by the caller)."""
    assert working.index is not None
    if not working.index.flow.checks:
        return False
    result = evaluate_checks(working.index.flow, build_context(working), working.settings.engine)
    if result.behavior is None:
        return False
    level = LogLevel.WARN if result.behavior is CheckBehavior.CREATE_EXECUTION else LogLevel.ERROR
    for message in result.messages:
        working.log(level, f"Check failed: {message}")
    return result.behavior is not CheckBehavior.CREATE_EXECUTION


def schedule_sla_timers(working: Working) -> None:
    """When the execution starts running: one SLA timer per MAX_DURATION SLA (once)."""
    if working.index is None or working.extra.get(SLA_SCHEDULED):
        return
    slas = working.index.flow.sla or ()
    if not slas:
        return
    start = working.state.start_date
    for sla in slas:
        if sla.type is SLAType.MAX_DURATION and sla.duration is not None:
            working.add_timer(TimerKind.SLA, start + sla.duration, tag=sla.id)
    working.set_extra(SLA_SCHEDULED, True)


def _sla(working: Working, sla_id: str) -> SLA | None:
    if working.index is None:
        return None
    return next((sla for sla in working.index.flow.sla or () if sla.id == sla_id), None)


def fire_sla(working: Working, timer: Timer) -> None:
    sla = _sla(working, timer.timer_id.rsplit(":", 1)[-1])
    if sla is None or working.current.is_terminated():
        return
    breach_sla(working, sla, f"execution exceeded its maximum duration of {sla.duration}")


def assert_slas(working: Working) -> bool:
    """EXECUTION_ASSERTION SLAs, at each execution state change (a breach counts once)."""
    if working.index is None:
        return False
    breached = False
    for sla in working.index.flow.sla or ():
        if sla.type is not SLAType.EXECUTION_ASSERTION or sla.assert_ is None:
            continue
        if sla.id in working.extra.get(SLA_BREACHED, ()):
            continue
        try:
            holds = render_condition(working.settings.engine, sla.assert_, build_context(working))
        except Exception as error:
            working.log(LogLevel.WARN, f"SLA '{sla.id}' assertion could not be evaluated: {error}")
            continue
        if not holds:
            breach_sla(working, sla, f"assertion is false: {sla.assert_}.")
            breached = True
    return breached


def breach_sla(working: Working, sla: SLA, reason: str) -> None:
    """Labels first, then the behavior: FAIL/CANCEL stop the execution, NONE only logs."""
    from kestra_stream.executor.core._flowables import begin_halt

    working.set_extra(SLA_BREACHED, [*working.extra.get(SLA_BREACHED, ()), sla.id])
    if sla.labels:
        merged = {label.key: label.value for label in working.labels or ()}
        merged.update({label.key: label.value for label in sla.labels})
        working.labels = tuple(Label(key=key, value=value) for key, value in merged.items())
        working.changed = True
    working.log(
        LogLevel.WARN if sla.behavior is SLABehavior.NONE else LogLevel.ERROR,
        f"SLA '{sla.id}' violated: {reason}",
    )
    if sla.behavior is SLABehavior.NONE:
        return
    final = StateType.FAILED if sla.behavior is SLABehavior.FAIL else StateType.CANCELLED
    if working.current.is_terminated():
        if working.current is not final and working.current in (StateType.SUCCESS, StateType.WARNING):
            working.set_execution_state(final)
        return
    begin_halt(working, final, kill=True, cascade=True)
