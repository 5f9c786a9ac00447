"""Flow triggers: rules (conditions, parts, ids, precondition store) and scenarios through the harness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from kestra_stream.executor.core import EmitExecutionMessage, EmitPreconditionRequest, handle
from kestra_stream.executor.core._conditions import Upstream, condition_holds, filter_matches
from kestra_stream.executor.core._flow_triggers import trigger_variables, triggered_execution_id
from kestra_stream.executor.core.preconditions import PreconditionState, evaluate, window_bounds
from kestra_stream.executor.messages import NewExecution, PreconditionPart, PreconditionRequest
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.flows import parse_flow
from kestra_stream.models import Execution, Label, State, StateType
from kestra_stream.plugins.base import AnyCondition
from kestra_stream.plugins.triggers import Filter, FlowTrigger

from .harness import START, Harness, fail

NS = "namespace: company.team\n"
RETURN = "type: io.kestra.plugin.core.debug.Return"
_CONDITION: TypeAdapter[Any] = TypeAdapter(AnyCondition)


def upstream_flow(flow_id: str, *, output: str = "hello") -> str:
    return f"""id: {flow_id}
{NS}tasks:
  - id: t
    {RETURN}
    format: "{output}"
outputs:
  - id: value
    type: STRING
    value: "{output}"
"""


def _execution(state: StateType = StateType.SUCCESS, **update: Any) -> Execution:
    execution = Execution(
        id="up1",
        namespace="company.team",
        flow_id="upstream",
        flow_revision=3,
        state=State.of(StateType.CREATED, at=START).with_state(state, at=START + timedelta(seconds=5)),
        labels=(Label(key="team", value="data"), Label(key="system.correlationId", value="root")),
        outputs={"value": "hello"},
    )
    return execution.model_copy(update=update)


def _upstream(execution: Execution | None = None, now: datetime = START) -> Upstream:
    execution = execution or _execution()
    variables = trigger_variables(execution)
    context = {
        "trigger": {**variables, "date": "2025-01-04T10:00:00Z"},
        "outputs": execution.outputs or {},
        "labels": {"team": "data"},
    }
    return Upstream(execution=execution, context=context, engine=ExpressionEngine(), now=now)


# -- rules: conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            {
                "type": "io.kestra.plugin.core.condition.ExecutionFlow",
                "namespace": "company.team",
                "flowId": "upstream",
            },
            True,
        ),
        (
            {
                "type": "io.kestra.plugin.core.condition.ExecutionFlow",
                "namespace": "company.team",
                "flowId": "x",
            },
            False,
        ),
        (
            {
                "type": "io.kestra.plugin.core.condition.ExecutionNamespace",
                "namespace": "company",
                "prefix": True,
            },
            True,
        ),
        (
            {
                "type": "io.kestra.plugin.core.condition.ExecutionNamespace",
                "namespace": "team",
                "comparison": "SUFFIX",
            },
            True,
        ),
        ({"type": "io.kestra.plugin.core.condition.ExecutionNamespace", "namespace": "company"}, False),
        ({"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["SUCCESS", "WARNING"]}, True),
        ({"type": "io.kestra.plugin.core.condition.ExecutionStatus", "notIn": ["SUCCESS"]}, False),
        ({"type": "io.kestra.plugin.core.condition.ExecutionLabels", "labels": {"team": "data"}}, True),
        ({"type": "io.kestra.plugin.core.condition.ExecutionLabels", "labels": {"team": "ops"}}, False),
        (
            {
                "type": "io.kestra.plugin.core.condition.ExecutionOutputs",
                "expression": "{{ trigger.outputs.value == 'hello' }}",
            },
            True,
        ),
        (
            {
                "type": "io.kestra.plugin.core.condition.Expression",
                "expression": "{{ trigger.flowId == 'other' }}",
            },
            False,
        ),
        (
            {
                "type": "io.kestra.plugin.core.condition.Not",
                "conditions": [{"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["FAILED"]}],
            },
            True,
        ),
        (
            {
                "type": "io.kestra.plugin.core.condition.Or",
                "conditions": [
                    {"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["FAILED"]},
                    {"type": "io.kestra.plugin.core.condition.Weekend"},
                ],
            },
            True,
        ),
        ({"type": "io.kestra.plugin.core.condition.DayWeek", "dayOfWeek": "SATURDAY"}, True),
        (
            {
                "type": "io.kestra.plugin.core.condition.DayWeekInMonth",
                "dayOfWeek": "SATURDAY",
                "dayInMonth": "FIRST",
            },
            True,
        ),
        (
            {
                "type": "io.kestra.plugin.core.condition.TimeBetween",
                "after": "09:00:00Z",
                "before": "11:00:00Z",
            },
            True,
        ),
        ({"type": "io.kestra.plugin.core.condition.TimeBetween", "after": "13:00:00+02:00"}, False),
        (
            {"type": "io.kestra.plugin.core.condition.DateTimeBetween", "before": "2025-01-01T00:00:00Z"},
            False,
        ),
        ({"type": "io.kestra.plugin.core.condition.HasRetryAttempt", "in": ["FAILED"]}, False),
    ],
)
def test_condition_holds(condition: dict[str, Any], expected: bool) -> None:
    assert condition_holds(_CONDITION.validate_python(condition), _upstream()) is expected


def test_execution_outputs_is_false_without_outputs() -> None:
    condition = _CONDITION.validate_python(
        {"type": "io.kestra.plugin.core.condition.ExecutionOutputs", "expression": "{{ true }}"}
    )
    assert condition_holds(condition, _upstream(_execution(outputs=None))) is False


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"field": "NAMESPACE", "type": "STARTS_WITH", "value": "company"}, True),
        ({"field": "FLOW_ID", "type": "IN", "values": ["a", "upstream"]}, True),
        ({"field": "STATE", "type": "NOT_EQUAL_TO", "value": "SUCCESS"}, False),
        ({"field": "FLOW_ID", "type": "REGEX", "value": "up.*"}, True),
        ({"field": "EXPRESSION", "type": "IS_TRUE", "value": "{{ trigger.outputs.value == 'hello' }}"}, True),
        ({"field": "NAMESPACE", "type": "CONTAINS", "value": "team"}, True),
    ],
)
def test_where_filter(filter_: dict[str, Any], expected: bool) -> None:
    assert filter_matches(Filter.model_validate(filter_), _upstream()) is expected


def test_trigger_variables() -> None:
    variables = trigger_variables(_execution())
    assert variables["executionId"] == "up1"
    assert variables["flowRevision"] == 3
    assert variables["state"] == "SUCCESS"
    assert variables["outputs"] == {"value": "hello"}
    assert variables["executionLabels"] == {"team": "data"}  # no correlation id


def test_triggered_execution_id_is_derived_from_the_transition() -> None:
    flow = parse_flow(f"id: down\n{NS}tasks:\n  - id: t\n    {RETURN}\n    format: x\n")
    trigger = FlowTrigger.model_validate({"id": "on", "type": "io.kestra.plugin.core.trigger.Flow"})
    first = triggered_execution_id(_execution(), flow, trigger)
    assert first == triggered_execution_id(_execution(), flow, trigger)
    again = _execution()
    again = again.model_copy(
        update={
            "state": again.state.with_state(StateType.RUNNING, at=START).with_state(
                StateType.SUCCESS, at=START
            )
        }
    )
    assert triggered_execution_id(again, flow, trigger) != first


# -- rules: the precondition store ----------------------------------------------------------------


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_window_bounds_duration_window_with_advance() -> None:
    spec = {"type": "DURATION_WINDOW", "window": "P1D", "windowAdvance": "PT6H"}
    assert window_bounds(spec, _at("2025-01-02T05:00:00")) == (
        _at("2025-01-01T06:00:00"),
        _at("2025-01-02T06:00:00"),
    )
    assert window_bounds(None, _at("2025-01-02T05:00:00")) == (
        _at("2025-01-02T00:00:00"),
        _at("2025-01-03T00:00:00"),
    )


def test_window_bounds_daily_deadline_and_window() -> None:
    deadline = {"type": "DAILY_TIME_DEADLINE", "deadline": "09:00:00.00Z"}
    assert window_bounds(deadline, _at("2025-01-02T08:00:00")) == (
        _at("2025-01-02T00:00:00"),
        _at("2025-01-02T09:00:00"),
    )
    assert window_bounds(deadline, _at("2025-01-02T10:00:00")) is None
    daily = {"type": "DAILY_TIME_WINDOW", "startTime": "06:00:00Z", "endTime": "12:00:00Z"}
    assert window_bounds(daily, _at("2025-01-02T05:00:00")) is None
    assert window_bounds(daily, _at("2025-01-02T07:00:00")) == (
        _at("2025-01-02T06:00:00"),
        _at("2025-01-02T12:00:00"),
    )


def _request(
    name: str, date: datetime, request_id: str, *, window: dict[str, Any] | None = None, reset: bool = True
) -> PreconditionRequest:
    execution = Execution(
        id=f"new-{request_id}",
        namespace="company.team",
        flow_id="down",
        flow_revision=1,
        state=State.of(StateType.CREATED, at=date),
    )
    part = PreconditionPart(
        condition_id="both", required=("a", "b"), matched=(name,), time_window=window, reset_on_success=reset
    )
    return PreconditionRequest(
        trigger_key="main/company.team/down/on",
        request_id=request_id,
        date=date,
        parts=(part,),
        execution=execution,
    )


def test_precondition_store_fires_once_when_every_part_is_met() -> None:
    state, started = evaluate(None, _request("a", _at("2025-01-02T01:00:00"), "1"))
    assert started == ()
    state, started = evaluate(state, _request("a", _at("2025-01-02T01:00:00"), "1"))  # redelivery
    assert started == ()
    state, started = evaluate(state, _request("b", _at("2025-01-02T02:00:00"), "2"))
    assert [message.execution_id for message in started] == ["new-2"]
    state, started = evaluate(state, _request("b", _at("2025-01-02T03:00:00"), "3"))
    assert started == ()  # reset on success
    state = PreconditionState.from_bytes(state.to_bytes())
    assert state.parts["both"].results.keys() == {"b"}


def test_precondition_store_window_expiry_and_no_reset() -> None:
    window = {"type": "SLIDING_WINDOW", "window": "PT1H"}
    state, _ = evaluate(None, _request("a", _at("2025-01-02T01:00:00"), "1", window=window))
    state, started = evaluate(state, _request("b", _at("2025-01-02T02:30:00"), "2", window=window))
    assert started == ()  # a is too old
    state, _ = evaluate(None, _request("a", _at("2025-01-02T01:00:00"), "1", reset=False))
    state, started = evaluate(state, _request("b", _at("2025-01-02T02:00:00"), "2", reset=False))
    assert len(started) == 1
    state, started = evaluate(state, _request("b", _at("2025-01-02T03:00:00"), "3", reset=False))
    assert len(started) == 1  # still satisfied in the window
    state, started = evaluate(state, _request("b", _at("2025-01-03T03:00:00"), "4", reset=False))
    assert started == ()  # next day: a new window


# -- scenarios -----------------------------------------------------------------------------------


def _new_executions_of(h: Harness, flow_id: str) -> list[Execution]:
    return [state.execution for state in h.states.values() if state.execution.flow_id == flow_id] + [
        execution for execution in h.purged.values() if execution.flow_id == flow_id
    ]


DOWNSTREAM = f"""id: down
{NS}inputs:
  - id: value
    type: STRING
  - id: state
    type: STRING
tasks:
  - id: t
    {RETURN}
    format: "{{{{ inputs.value }}}}"
labels:
  kind: downstream
triggers:
  - id: on_upstream
    type: io.kestra.plugin.core.trigger.Flow
    states: [SUCCESS]
    inputs:
      value: "{{{{ trigger.outputs.value }}}}"
      state: "{{{{ trigger.state }}}}"
    labels:
      from: "{{{{ trigger.flowId }}}}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: company.team
        flowId: upstream
"""


def test_flow_trigger_starts_the_downstream_flow_with_trigger_variables_and_inputs() -> None:
    h = Harness((upstream_flow("upstream"), upstream_flow("other"), DOWNSTREAM))
    upstream_id = h.start("upstream", labels={"team": "data"})
    h.start("other")
    (down,) = _new_executions_of(h, "down")
    assert down.state.current is StateType.SUCCESS
    assert down.inputs == {"value": "hello", "state": "SUCCESS"}
    assert down.trigger is not None and down.trigger.id == "on_upstream"
    variables = down.trigger.variables or {}
    assert variables["executionId"] == upstream_id
    assert variables["flowId"] == "upstream"
    assert variables["executionLabels"] == {"team": "data"}
    labels = {label.key: label.value for label in down.labels or ()}
    assert labels["from"] == "upstream"
    assert labels["kind"] == "downstream"
    assert labels["system.correlationId"] == upstream_id


def test_flow_trigger_ignores_other_states_and_a_replayed_event_gives_the_same_id() -> None:
    h = Harness((upstream_flow("upstream"), DOWNSTREAM), behaviors={"t": fail})
    h.start("upstream")
    assert _new_executions_of(h, "down") == []
    h = Harness((upstream_flow("upstream"), DOWNSTREAM))
    h.auto_run = False
    upstream_id = h.start("upstream")
    job = h.jobs[-1]
    h.send(h._result(job, StateType.RUNNING), run=True)
    state = h.states[upstream_id]
    final = h._result(job, StateType.SUCCESS)
    first = handle(state, final, flows=h.flow_lookup, now=h.now)
    second = handle(state, final, flows=h.flow_lookup, now=h.now)
    started = [
        c.message
        for c in first.commands
        if isinstance(c, EmitExecutionMessage) and isinstance(c.message, NewExecution)
    ]
    assert len(started) == 1 and started[0].execution.flow_id == "down"
    assert [c for c in first.commands if isinstance(c, EmitExecutionMessage)] == [
        c for c in second.commands if isinstance(c, EmitExecutionMessage)
    ]


def test_flow_trigger_on_paused_executions_by_default() -> None:
    paused = f"id: upstream\n{NS}tasks:\n  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n"
    listener = f"""id: alert
{NS}tasks:
  - id: t
    {RETURN}
    format: x
triggers:
  - id: on_any
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionNamespace
        namespace: company.team
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: company.team
        flowId: upstream
"""
    h = Harness((paused, listener))
    upstream_id = h.start("upstream")
    assert h.state_of(upstream_id) is StateType.PAUSED
    (alert,) = _new_executions_of(h, "alert")
    assert (alert.trigger.variables or {})["state"] == "PAUSED"  # type: ignore[union-attr]


PRECONDITIONS = f"""id: down
{NS}tasks:
  - id: t
    {RETURN}
    format: "{{{{ trigger.outputs }}}}"
triggers:
  - id: both_done
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: both
      flows:
        - namespace: company.team
          flowId: flow_a
          states: [SUCCESS]
        - namespace: company.team
          flowId: flow_b
          states: [SUCCESS]
      timeWindow:
        type: SLIDING_WINDOW
        window: PT1H
"""


def test_preconditions_fire_once_when_both_upstream_flows_succeeded_in_the_window() -> None:
    h = Harness((upstream_flow("flow_a", output="A"), upstream_flow("flow_b", output="B"), PRECONDITIONS))
    h.start("flow_a")
    assert _new_executions_of(h, "down") == []  # only one of the two
    h.advance(timedelta(minutes=10))
    h.start("flow_b")
    (down,) = _new_executions_of(h, "down")
    assert down.state.current is StateType.SUCCESS
    h.advance(timedelta(minutes=10))
    h.start("flow_b")
    assert len(_new_executions_of(h, "down")) == 1  # reset on success: not twice
    h.advance(timedelta(hours=2))
    h.start("flow_a")
    assert len(_new_executions_of(h, "down")) == 1  # flow_b's last success is outside the window
    h.start("flow_b")
    assert len(_new_executions_of(h, "down")) == 2


def test_preconditions_where_filter_and_failed_upstream_does_not_count() -> None:
    source = f"""id: alert
{NS}tasks:
  - id: notify
    {RETURN}
    format: x
triggers:
  - id: failures
    type: io.kestra.plugin.core.trigger.Flow
    states: [FAILED]
    preconditions:
      id: company_failures
      where:
        - id: company
          filters:
            - field: NAMESPACE
              type: STARTS_WITH
              value: company
"""
    h = Harness((upstream_flow("flow_a"), source), behaviors={})
    h.start("flow_a")
    assert _new_executions_of(h, "alert") == []
    h.behaviors["t"] = fail
    h.start("flow_a")
    h.start("flow_a")
    assert len(_new_executions_of(h, "alert")) == 2  # one named condition: every failure fires
    assert all(isinstance(request, PreconditionRequest) for request in h.precondition_requests)


def test_no_flow_trigger_without_the_lookup_method() -> None:
    flow = parse_flow(upstream_flow("upstream"))
    execution = Execution(
        id="e1",
        namespace="company.team",
        flow_id="upstream",
        flow_revision=1,
        state=State.of(StateType.CREATED, at=START),
    )
    outcome = handle(None, NewExecution(execution=execution), flows=lambda *_: flow, now=START)
    assert not any(isinstance(command, EmitPreconditionRequest) for command in outcome.commands)
