"""Flow triggers (kestra-features §4.3): an execution that terminates or pauses may start other flows.

Rules: ``evaluate_flow_triggers`` (every Flow trigger of every flow the lookup lists, against the
execution that just changed state), ``flow_trigger_applies`` (states + stateless conditions),
``stateful_parts`` (``preconditions`` and ``MultipleCondition`` → named sub-conditions for the
precondition store), ``build_triggered_execution`` (trigger variables, labels, rendered and validated
inputs, id derived from the triggering transition).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kestra_stream.executor.core._conditions import (
    Upstream,
    all_hold,
    condition_holds,
    upstream_flow_matches,
    where_matches,
)
from kestra_stream.executor.core._context import labels_context
from kestra_stream.executor.core._ids import derived_id
from kestra_stream.executor.core._types import (
    CoreSettings,
    EmitExecutionMessage,
    EmitLog,
    EmitPreconditionRequest,
)
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import NewExecution, PreconditionPart, PreconditionRequest
from kestra_stream.flows.model import Flow
from kestra_stream.inputs import resolve_inputs
from kestra_stream.models.dates import format_instant
from kestra_stream.models.execution import Execution, ExecutionKind, ExecutionMetadata, ExecutionTrigger
from kestra_stream.models.labels import Label
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.state import State, StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.plugins.conditions import MultipleCondition, TimeWindow
from kestra_stream.plugins.triggers import FlowTrigger

DEFAULT_STATES = frozenset(
    {
        StateType.SUCCESS,
        StateType.WARNING,
        StateType.FAILED,
        StateType.KILLED,
        StateType.CANCELLED,
        StateType.RETRIED,
        StateType.SKIPPED,
        StateType.PAUSED,
    }
)
"""A Flow trigger's ``states`` default: every terminal state and PAUSED (0.23+)."""

CORRELATION_ID = "system.correlationId"


def _nested_labels(labels: Iterable[Label]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for label in labels:
        if label.key == CORRELATION_ID:
            continue
        node = nested
        *parents, last = label.key.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node.setdefault(last, label.value)
    return nested


def trigger_variables(execution: Execution) -> dict[str, Any]:
    """``{{ trigger.* }}`` of an execution started by a Flow trigger (Kestra's ``Flow.Output``)."""
    runs = list(execution.task_runs())
    variables: dict[str, Any] = {
        "executionId": execution.id,
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
        "flowRevision": execution.flow_revision,
        "state": execution.state.current.value,
        "startDate": format_instant(execution.state.start_date),
        "executionLabels": _nested_labels(execution.labels or ()),
    }
    variables["labels"] = variables["executionLabels"]
    end = execution.state.end_date
    if end is not None:
        variables["endDate"] = format_instant(end)
    failed = next((run.task_id for run in runs if run.state.current.is_failed()), None)
    if failed is not None:
        variables["firstFailedTaskId"] = failed
    if runs:
        variables["lastTaskId"] = runs[-1].task_id
    if execution.outputs:
        variables["outputs"] = execution.outputs
    return variables


def condition_context(
    flow: Flow, execution: Execution, variables: dict[str, Any], now: datetime, settings: CoreSettings
) -> dict[str, Any]:
    """What trigger conditions, labels and inputs are rendered with (``trigger.date`` = now)."""
    return {
        "flow": {"id": flow.id, "namespace": flow.namespace, "revision": flow.revision or 1},
        "execution": {
            "id": execution.id,
            "namespace": execution.namespace,
            "flowId": execution.flow_id,
            "state": execution.state.current.value,
            "startDate": format_instant(execution.state.start_date),
            "originalId": execution.original_id or execution.id,
        },
        "trigger": {**variables, "date": format_instant(now)},
        "labels": labels_context(execution.labels),
        "outputs": execution.outputs or {},
        "envs": dict(settings.envs),
        "globals": dict(settings.globals),
    }


def flow_trigger_applies(trigger: FlowTrigger, upstream: Upstream) -> bool:
    """``states`` (default: terminal + PAUSED) and every stateless condition (AND)."""
    states = frozenset(trigger.states) if trigger.states else DEFAULT_STATES
    if upstream.execution.state.current not in states:
        return False
    return all_hold(trigger.conditions, upstream)


def _window_of(condition: MultipleCondition) -> dict[str, Any] | None:
    if condition.time_window is not None:
        return _window_json(condition.time_window)
    if condition.window is None and condition.window_advance is None:
        return None
    window: dict[str, Any] = {"type": "DURATION_WINDOW"}
    if condition.window is not None:
        window["window"] = condition.window
    if condition.window_advance is not None:
        window["windowAdvance"] = condition.window_advance
    return _window_json_raw(window)


def _window_json(window: TimeWindow) -> dict[str, Any]:
    dumped: dict[str, Any] = window.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


def _window_json_raw(window: dict[str, Any]) -> dict[str, Any]:
    from kestra_stream.models.durations import format_duration

    return {key: format_duration(value) if key != "type" else value for key, value in window.items()}


def stateful_parts(trigger: FlowTrigger, upstream: Upstream) -> list[PreconditionPart]:
    """``preconditions`` and ``MultipleCondition`` entries as parts: required and matched names."""
    parts: list[PreconditionPart] = []
    preconditions = trigger.preconditions
    if preconditions is not None:
        required: list[str] = []
        matched: list[str] = []
        for index, entry in enumerate(preconditions.flows or ()):
            name = f"flow_{index}"
            required.append(name)
            if upstream_flow_matches(entry, upstream.execution):
                matched.append(name)
        for where in preconditions.where or ():
            name = f"where_{where.id}"
            required.append(name)
            if where_matches(where, upstream):
                matched.append(name)
        parts.append(
            PreconditionPart(
                condition_id=preconditions.id,
                required=tuple(required),
                matched=tuple(matched),
                time_window=_window_json(preconditions.time_window) if preconditions.time_window else None,
                reset_on_success=preconditions.reset_on_success,
            )
        )
    for condition in trigger.conditions or ():
        if not isinstance(condition, MultipleCondition):
            continue
        names = tuple(condition.conditions)
        parts.append(
            PreconditionPart(
                condition_id=condition.id,
                required=names,
                matched=tuple(
                    name for name in names if condition_holds(condition.conditions[name], upstream)
                ),
                time_window=_window_of(condition),
                reset_on_success=condition.reset_on_success,
            )
        )
    return parts


def triggered_execution_id(execution: Execution, flow: Flow, trigger: FlowTrigger) -> str:
    """Derived from the triggering *transition* (its place in the state history) and the trigger."""
    transition = len(execution.state.histories)
    return derived_id(
        "flow-trigger", execution.id, transition, flow.tenant_id, flow.namespace, flow.id, trigger.id
    )


def build_triggered_execution(
    flow: Flow, trigger: FlowTrigger, upstream: Upstream, variables: dict[str, Any], settings: CoreSettings
) -> Execution:
    """The new execution: trigger variables, labels (trigger's rendered, flow's, correlation id), inputs.

    Raises ``ValueError`` naming the problem when labels or inputs cannot be rendered/validated.
    """
    engine = settings.engine
    context = upstream.context
    try:
        provided = engine.render_typed(trigger.inputs or {}, context)
        inputs = resolve_inputs(
            flow.inputs or [],
            provided,
            render=lambda value, scope: engine.render_typed(value, scope),
            variables={"flow": {"id": flow.id, "namespace": flow.namespace}},
        )
    except Exception as error:
        raise ValueError(f"invalid inputs: {error}") from None
    labels: dict[str, str] = {}
    for label in trigger.labels or ():
        try:
            labels[label.key] = engine.render(label.value, context)
        except Exception as error:
            raise ValueError(f"unable to render label '{label.key}': {error}") from None
    for label in flow.labels or ():
        labels.setdefault(label.key, label.value)
    execution = upstream.execution
    correlation = next(
        (label.value for label in execution.labels or () if label.key == CORRELATION_ID), execution.id
    )
    labels[CORRELATION_ID] = correlation
    execution_id = triggered_execution_id(execution, flow, trigger)
    return Execution(
        id=execution_id,
        tenant_id=flow.tenant_id,
        namespace=flow.namespace,
        flow_id=flow.id,
        flow_revision=flow.revision or 1,
        inputs=inputs or None,
        labels=tuple(Label(key=key, value=value) for key, value in labels.items()),
        state=State.of(StateType.CREATED, at=upstream.now),
        original_id=execution_id,
        trigger=ExecutionTrigger(id=trigger.id, type=trigger.type, variables=variables),
        metadata=ExecutionMetadata(attempt_number=1, original_created_date=upstream.now),
    )


def _unapplied_properties(trigger: FlowTrigger) -> str | None:
    """``stopAfter``/``allowConcurrent`` are accepted on a Flow trigger but, as in Kestra 1.3.31 (measured
    with the reference engine: executions keep being created and overlap), they change nothing: say so."""
    names = [
        name
        for name, value in (("stopAfter", trigger.stop_after), ("allowConcurrent", trigger.allow_concurrent))
        if value
    ]
    if not names:
        return None
    return (
        f"Flow trigger '{trigger.id}': {' and '.join(names)} do not apply to Flow triggers "
        "(as in Kestra, only Schedule and polling triggers use them); ignored"
    )


def _warn(
    working: Working, flow: Flow, trigger: FlowTrigger, message: str, *, execution_id: str | None = None
) -> None:
    working.emit(
        EmitLog(
            entry=LogEntry(
                tenant_id=flow.tenant_id,
                namespace=flow.namespace,
                flow_id=flow.id,
                execution_id=execution_id,
                trigger_id=trigger.id,
                timestamp=working.now,
                level=LogLevel.WARN,
                thread="executor",
                message=message,
            )
        )
    )


def trigger_key(flow: Flow, trigger: FlowTrigger) -> str:
    return "/".join((flow.tenant_id or "main", flow.namespace, flow.id, trigger.id))


def evaluate_flow_triggers(working: Working, flows: Any) -> bool:
    """The execution just terminated or paused: start (or count towards) every Flow trigger it satisfies."""
    source = getattr(flows, "flows_with_flow_triggers", None)
    if source is None or working.base.kind not in (None, ExecutionKind.NORMAL):
        return False
    execution: Execution | None = None
    variables: dict[str, Any] = {}
    base: dict[str, Any] = {}
    fired = False
    for flow in source():
        if flow.disabled or flow.deleted:
            continue
        upstream: Upstream | None = None
        for trigger in flow.triggers or ():
            if not isinstance(trigger, FlowTrigger) or trigger.disabled:
                continue
            if execution is None:
                execution = working.execution()
                variables = trigger_variables(execution)
                base = condition_context(flow, execution, variables, working.now, working.settings)
            if upstream is None:
                context = {
                    **base,
                    "flow": {"id": flow.id, "namespace": flow.namespace, "revision": flow.revision or 1},
                }
                upstream = Upstream(
                    execution=execution, context=context, engine=working.settings.engine, now=working.now
                )
            fired = _evaluate_one(working, flow, trigger, upstream, variables) or fired
    return fired


def _evaluate_one(
    working: Working, flow: Flow, trigger: FlowTrigger, upstream: Upstream, variables: dict[str, Any]
) -> bool:
    try:
        if not flow_trigger_applies(trigger, upstream):
            return False
        parts = stateful_parts(trigger, upstream)
    except Exception as error:
        _warn(working, flow, trigger, f"Flow trigger '{trigger.id}' not evaluated: {error}")
        return False
    if parts and not any(part.matched for part in parts):
        return False
    try:
        new = build_triggered_execution(flow, trigger, upstream, variables, working.settings)
    except ValueError as error:
        _warn(
            working,
            flow,
            trigger,
            f"Failed to trigger flow {flow.namespace}.{flow.id} for trigger {trigger.id}: {error}",
        )
        return False
    unapplied = _unapplied_properties(trigger)
    if not parts:
        working.emit(EmitExecutionMessage(message=NewExecution(execution=new)))
        if unapplied:
            _warn(working, flow, trigger, unapplied, execution_id=new.id)
        return True
    if unapplied:
        _warn(working, flow, trigger, unapplied)
    working.emit(
        EmitPreconditionRequest(
            request=PreconditionRequest(
                trigger_key=trigger_key(flow, trigger),
                request_id=f"{upstream.execution.id}#{len(upstream.execution.state.histories)}",
                date=working.now,
                parts=tuple(parts),
                execution=new,
            )
        )
    )
    return True
