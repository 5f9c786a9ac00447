"""Flow checks and SLA: rules and scenarios."""

from __future__ import annotations

from datetime import timedelta

from kestra_stream.executor.core._checks_sla import evaluate_checks
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.flows import parse_flow
from kestra_stream.flows.model import CheckBehavior
from kestra_stream.models import StateType

from .harness import Harness, hang

NS = "namespace: company.team\n"
RETURN = "type: io.kestra.plugin.core.debug.Return\n    format: x"

CHECKS = f"""id: f
{NS}inputs:
  - id: n
    type: INT
tasks:
  - id: t
    {RETURN}
checks:
  - condition: "{{{{ inputs.n > 0 }}}}"
    message: n must be positive
    behavior: CREATE_EXECUTION
  - condition: "{{{{ inputs.n < 100 }}}}"
    message: n too big
    behavior: FAIL_EXECUTION
  - condition: "{{{{ inputs.n != 42 }}}}"
    message: not 42
"""


def test_evaluate_checks_most_restrictive_behavior_wins() -> None:
    flow = parse_flow(CHECKS)
    engine = ExpressionEngine()
    assert evaluate_checks(flow, {"inputs": {"n": 5}}, engine).behavior is None
    assert evaluate_checks(flow, {"inputs": {"n": -1}}, engine).behavior is CheckBehavior.CREATE_EXECUTION
    result = evaluate_checks(flow, {"inputs": {"n": 500}}, engine)
    assert result.behavior is CheckBehavior.FAIL_EXECUTION and result.messages == ("n too big",)
    assert evaluate_checks(flow, {"inputs": {"n": 42}}, engine).behavior is CheckBehavior.BLOCK_EXECUTION


def test_checks_at_start() -> None:
    h = Harness((CHECKS,))
    created = h.start("f", inputs={"n": -1})
    assert h.state_of(created) is StateType.SUCCESS
    assert any(log.message == "Check failed: n must be positive" for log in h.logs)
    failed = h.start("f", inputs={"n": 500})
    assert h.state_of(failed) is StateType.FAILED
    assert h.runs(failed) == {}


def test_sla_max_duration_fails_a_running_execution_and_adds_labels() -> None:
    source = f"""id: f
{NS}tasks:
  - id: t
    {RETURN}
sla:
  - id: slow
    type: MAX_DURATION
    duration: PT10M
    behavior: FAIL
    labels:
      sla: miss
"""
    h = Harness((source,), behaviors={"t": hang})
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.RUNNING
    h.advance(timedelta(minutes=11))
    execution = h.execution(execution_id)
    assert execution.state.current is StateType.FAILED
    assert {label.key: label.value for label in execution.labels or ()}["sla"] == "miss"
    fast = Harness((source,))
    fast_id = fast.start("f")
    fast.advance(timedelta(minutes=11))
    assert fast.state_of(fast_id) is StateType.SUCCESS


def test_sla_assertion_cancel_and_none() -> None:
    source = f"""id: f
{NS}tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
sla:
  - id: never_paused
    type: EXECUTION_ASSERTION
    assert: "{{{{ execution.state != 'PAUSED' }}}}"
    behavior: CANCEL
"""
    h = Harness((source,))
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.CANCELLED
    h = Harness((source.replace("behavior: CANCEL", "behavior: NONE"),))
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.PAUSED
    assert any("SLA 'never_paused' violated" in (log.message or "") for log in h.logs)
