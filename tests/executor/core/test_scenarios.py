"""Whole flows driven through ``handle`` with the fake worker (seed of the end-to-end suites)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kestra_stream.executor.messages import (
    ChangeTaskRunState,
    KillExecution,
    PauseExecution,
    RestartExecution,
    ResumeExecution,
    Unqueue,
)
from kestra_stream.models import StateType

from .harness import Harness, fail, hang

NS = "namespace: company.team\n"


def flow(body: str, flow_id: str = "f") -> str:
    return f"id: {flow_id}\n{NS}{body}"


LOG = "type: io.kestra.plugin.core.debug.Return"


def test_sequential_tasks_run_in_order_and_succeed() -> None:
    h = Harness((flow(f"tasks:\n  - id: a\n    {LOG}\n  - id: b\n    {LOG}\n  - id: c\n    {LOG}\n"),))
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.SUCCESS
    assert h.order(execution_id) == ["a", "b", "c"]
    histories = [entry.state for entry in h.execution(execution_id).state.histories]
    assert histories == [StateType.CREATED, StateType.RUNNING, StateType.SUCCESS]
    attempt = h.runs(execution_id)["a"][0].attempts[0]
    assert [entry.state for entry in attempt.state.histories] == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]
    assert attempt.worker_id == "worker-1"


def test_real_tasks_see_outputs_of_previous_tasks(tmp_path: Path) -> None:
    source = flow(
        """tasks:
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values:
      message: "{{ execution.id }}-{{ flow.id }}-{{ inputs.name }}"
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.values.values.message }}|{{ taskrun.attemptsCount }}|{{ labels.team }}"
inputs:
  - id: name
    type: STRING
outputs:
  - id: final
    type: STRING
    value: "{{ outputs.ret.value }}"
"""
    )
    h = Harness((source,), real_tasks=True, work_dir=tmp_path)
    execution_id = h.start("f", inputs={"name": "joe"}, labels={"team": "data"})
    assert h.state_of(execution_id) is StateType.SUCCESS
    assert h.execution(execution_id).outputs == {"final": f"{execution_id}-f-joe|0|data"}


def test_failure_skips_the_rest_runs_errors_then_finally_and_fails() -> None:
    source = flow(
        f"""tasks:
  - id: a
    {LOG}
  - id: boom
    {LOG}
  - id: never
    {LOG}
errors:
  - id: on_error
    {LOG}
finally:
  - id: cleanup
    {LOG}
afterExecution:
  - id: notify
    {LOG}
    runIf: "{{{{ execution.state == 'FAILED' }}}}"
  - id: not_on_failure
    {LOG}
    runIf: "{{{{ execution.state == 'SUCCESS' }}}}"
"""
    )
    h = Harness((source,), behaviors={"boom": fail})
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.FAILED
    assert h.order(execution_id) == ["a", "boom", "on_error", "cleanup", "notify", "not_on_failure"]
    assert h.task_states(execution_id)["notify"] == "SUCCESS"
    assert h.task_states(execution_id)["not_on_failure"] == "SKIPPED"
    cleanup_job = h.job_for("cleanup")
    assert cleanup_job.variables["execution"]["state"] == "RUNNING"
    assert h.job_for("notify").variables["execution"]["state"] == "FAILED"


def test_finally_failure_fails_the_execution() -> None:
    source = flow(f"tasks:\n  - id: a\n    {LOG}\nfinally:\n  - id: fin\n    {LOG}\n")
    h = Harness((source,), behaviors={"fin": fail})
    assert h.state_of(h.start("f")) is StateType.FAILED


def test_after_execution_failure_keeps_the_final_state() -> None:
    source = flow(f"tasks:\n  - id: a\n    {LOG}\nafterExecution:\n  - id: after\n    {LOG}\n")
    h = Harness((source,), behaviors={"after": fail})
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.SUCCESS
    assert h.task_states(execution_id)["after"] == "FAILED"


def test_allow_failure_and_allow_warning() -> None:
    source = flow(
        f"""tasks:
  - id: tolerated
    {LOG}
    allowFailure: true
  - id: group
    type: io.kestra.plugin.core.flow.AllowFailure
    tasks:
      - id: inner
        {LOG}
      - id: inner_never
        {LOG}
  - id: warned
    {LOG}
    allowWarning: true
  - id: last
    {LOG}
"""
    )
    h = Harness(
        (source,),
        behaviors={"tolerated": fail, "inner": fail, "warned": lambda job: (StateType.WARNING, None)},
    )
    execution_id = h.start("f")
    states = h.task_states(execution_id)
    assert states == {
        "tolerated": "WARNING",
        "group": "WARNING",
        "inner": "FAILED",
        "warned": "SUCCESS",
        "last": "SUCCESS",
    }
    assert h.runs(execution_id)["tolerated"][0].attempts[-1].state.current is StateType.FAILED
    assert h.state_of(execution_id) is StateType.WARNING


def test_run_if_false_skips_and_disabled_tasks_have_no_task_run() -> None:
    source = flow(
        f"""tasks:
  - id: skipped
    {LOG}
    runIf: "{{{{ 1 == 2 }}}}"
  - id: disabled
    {LOG}
    disabled: true
  - id: bad
    {LOG}
    runIf: "{{{{ nope.missing }}}}"
    allowFailure: true
"""
    )
    h = Harness((source,))
    execution_id = h.start("f")
    assert h.task_states(execution_id) == {"skipped": "SKIPPED", "bad": "WARNING"}
    assert any("Unable to evaluate the runIf condition" in (log.message or "") for log in h.logs)


def test_retry_constant_until_success_with_warning_on_retry() -> None:
    source = flow(
        f"""tasks:
  - id: flaky
    {LOG}
    retry:
      type: constant
      interval: PT10S
      maxAttempts: 5
      warningOnRetry: true
"""
    )
    calls = []

    def flaky(job):  # type: ignore[no-untyped-def]
        calls.append(job.attempt_number)
        assert job.variables["taskrun"]["attemptsCount"] == job.attempt_number - 1
        return (StateType.SUCCESS, None) if job.attempt_number == 3 else (StateType.FAILED, None)

    h = Harness((source,), behaviors={"flaky": flaky})
    execution_id = h.start("f")
    assert h.run_state(execution_id, "flaky") is StateType.RETRYING
    h.advance(timedelta(seconds=9))
    assert calls == [1]
    h.advance(timedelta(seconds=1))
    assert calls == [1, 2]
    h.advance(timedelta(seconds=10))
    assert calls == [1, 2, 3]
    assert h.run_state(execution_id, "flaky") is StateType.WARNING
    assert h.state_of(execution_id) is StateType.WARNING
    run = h.runs(execution_id)["flaky"][0]
    assert [a.state.current for a in run.attempts] == [StateType.FAILED, StateType.FAILED, StateType.SUCCESS]


def test_retry_stops_at_max_attempts_then_errors_run() -> None:
    source = flow(
        f"""tasks:
  - id: flaky
    {LOG}
    retry:
      type: exponential
      interval: PT1S
      maxInterval: PT4S
      maxAttempts: 3
errors:
  - id: handler
    {LOG}
"""
    )
    h = Harness((source,), behaviors={"flaky": fail})
    execution_id = h.start("f")
    assert "handler" not in h.runs(execution_id)
    h.advance(timedelta(seconds=1))
    h.advance(timedelta(seconds=2))
    assert h.state_of(execution_id) is StateType.FAILED
    assert len(h.runs(execution_id)["flaky"][0].attempts) == 3
    assert h.task_states(execution_id)["handler"] == "SUCCESS"


def test_parallel_with_concurrent_limit() -> None:
    source = flow(
        f"""tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    concurrent: 2
    tasks:
      - id: p1
        {LOG}
      - id: p2
        {LOG}
      - id: p3
        {LOG}
  - id: after
    {LOG}
"""
    )
    h = Harness((source,), behaviors={"p1": hang, "p2": hang})
    execution_id = h.start("f")
    assert set(h.runs(execution_id)) == {"par", "p1", "p2"}
    job = h.running_jobs.pop(h.runs(execution_id)["p1"][0].id)
    h.send(h._result(job, StateType.SUCCESS), run=True)
    assert set(h.runs(execution_id)) == {"par", "p1", "p2", "p3"}
    job = h.running_jobs.pop(h.runs(execution_id)["p2"][0].id)
    h.send(h._result(job, StateType.SUCCESS), run=True)
    assert h.state_of(execution_id) is StateType.SUCCESS
    assert h.order(execution_id)[-1] == "after"


def test_if_and_switch_pick_their_branch() -> None:
    source = flow(
        f"""inputs:
  - id: n
    type: INT
tasks:
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{ inputs.n > 1 }}}}"
    then:
      - id: big
        {LOG}
    else:
      - id: small
        {LOG}
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: "{{{{ inputs.n }}}}"
    cases:
      "1":
        - id: one
          {LOG}
      "2":
        - id: two
          {LOG}
    defaults:
      - id: other
        {LOG}
"""
    )
    h = Harness((source,))
    first = h.start("f", inputs={"n": 2})
    assert h.order(first) == ["check", "big", "sw", "two"]
    assert h.runs(first)["check"][0].outputs == {"evaluationResult": True}
    assert h.runs(first)["sw"][0].outputs == {"value": "2", "defaults": False}
    second = h.start("f", inputs={"n": 0})
    assert h.order(second) == ["check", "small", "sw", "other"]
    assert h.state_of(second) is StateType.SUCCESS


def test_switch_without_match_nor_defaults_fails() -> None:
    source = flow(
        f"""tasks:
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: "x"
    cases:
      "y":
        - id: y
          {LOG}
"""
    )
    h = Harness((source,))
    assert h.state_of(h.start("f")) is StateType.FAILED


def test_foreach_outputs_are_keyed_by_value_and_nested(tmp_path: Path) -> None:
    source = flow(
        """tasks:
  - id: outer
    type: io.kestra.plugin.core.flow.ForEach
    values: ["s1", "s2"]
    concurrencyLimit: 0
    tasks:
      - id: inner
        type: io.kestra.plugin.core.flow.ForEach
        values: '["a a", {"k": 1}]'
        tasks:
          - id: ret
            type: io.kestra.plugin.core.debug.Return
            format: "{{ parent.taskrun.value }}/{{ taskrun.value }}/{{ taskrun.iteration }}"
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.ret.s1['a a'].value }}"
"""
    )
    h = Harness((source,), real_tasks=True, work_dir=tmp_path)
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.SUCCESS
    assert h.runs(execution_id)["read"][0].outputs == {"value": "s1/a a/0"}
    values = sorted(run.outputs["value"] for run in h.runs(execution_id)["ret"])
    assert values == ["s1/a a/0", 's1/{"k":1}/1', "s2/a a/0", 's2/{"k":1}/1']


def test_foreach_concurrency_limit_one_runs_groups_one_after_another() -> None:
    source = flow(
        f"""tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [1, 2, 3]
    tasks:
      - id: x
        {LOG}
      - id: y
        {LOG}
"""
    )
    h = Harness((source,))
    execution_id = h.start("f")
    assert [f"{run.task_id}{run.value or ''}" for run in h.execution(execution_id).task_runs()] == [
        "each",
        "x1",
        "y1",
        "x2",
        "y2",
        "x3",
        "y3",
    ]


def test_dag_respects_dependencies() -> None:
    source = flow(
        f"""tasks:
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task:
          id: c
          {LOG}
        dependsOn: [a, b]
      - task:
          id: a
          {LOG}
      - task:
          id: b
          {LOG}
        dependsOn: [a]
"""
    )
    h = Harness((source,))
    execution_id = h.start("f")
    assert h.order(execution_id) == ["dag", "a", "b", "c"]
    assert h.state_of(execution_id) is StateType.SUCCESS


def test_local_errors_of_a_flowable_and_global_errors() -> None:
    source = flow(
        f"""tasks:
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: boom
        {LOG}
    errors:
      - id: local_handler
        {LOG}
errors:
  - id: global_handler
    {LOG}
"""
    )
    h = Harness((source,), behaviors={"boom": fail})
    execution_id = h.start("f")
    assert h.order(execution_id) == ["seq", "boom", "local_handler", "global_handler"]
    assert h.state_of(execution_id) is StateType.FAILED


def test_labels_task_outputs_are_applied(tmp_path: Path) -> None:
    source = flow(
        """tasks:
  - id: label
    type: io.kestra.plugin.core.execution.Labels
    labels:
      team: "{{ 'da' ~ 'ta' }}"
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ labels.team }}"
"""
    )
    h = Harness((source,), real_tasks=True, work_dir=tmp_path)
    execution_id = h.start("f", labels={"team": "old"})
    labels = {label.key: label.value for label in h.execution(execution_id).labels}
    assert labels["team"] == "data"
    assert labels["system.correlationId"] == execution_id
    assert h.runs(execution_id)["read"][0].outputs == {"value": "data"}


def test_set_and_unset_variables_and_exit() -> None:
    source = flow(
        f"""variables:
  keep: 1
  nested:
    a: 1
tasks:
  - id: set
    type: io.kestra.plugin.core.execution.SetVariables
    variables:
      nested:
        b: "{{{{ 1 + 1 }}}}"
  - id: unset
    type: io.kestra.plugin.core.execution.UnsetVariables
    variables: [keep]
  - id: check
    {LOG}
  - id: leave
    type: io.kestra.plugin.core.execution.Exit
    state: WARNING
  - id: never
    {LOG}
"""
    )
    h = Harness((source,))
    execution_id = h.start("f")
    assert h.execution(execution_id).variables == {"nested": {"a": 1, "b": 2}}
    assert h.job_for("check").variables["vars"] == {"nested": {"a": 1, "b": 2}}
    assert h.state_of(execution_id) is StateType.WARNING
    assert "never" not in h.runs(execution_id)


def test_flow_outputs_rendering_error_fails_the_execution() -> None:
    source = flow(
        f"tasks:\n  - id: a\n    {LOG}\noutputs:\n  - id: o\n    type: INT\n    value: not-a-number\n"
    )
    h = Harness((source,))
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.FAILED
    assert any("Invalid output for `o`" in (log.message or "") for log in h.logs)


def test_pause_resume_with_on_resume_inputs() -> None:
    source = flow(
        f"""tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
  - id: after
    {LOG}
"""
    )
    h = Harness((source,))
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.PAUSED
    assert h.run_state(execution_id, "wait") is StateType.PAUSED
    h.send(ResumeExecution(execution_id=execution_id, inputs={"approved": "true"}, by="alice"), run=True)
    assert h.state_of(execution_id) is StateType.SUCCESS
    outputs = h.runs(execution_id)["wait"][0].outputs
    assert outputs["onResume"] == {"approved": True}
    assert outputs["resumed"]["by"] == "alice"


@pytest.mark.parametrize(
    ("behavior", "task_state", "execution_state"),
    [
        ("RESUME", "SUCCESS", StateType.SUCCESS),
        ("WARN", "WARNING", StateType.WARNING),
        ("FAIL", "FAILED", StateType.FAILED),
        ("CANCEL", "CANCELLED", StateType.CANCELLED),
    ],
)
def test_pause_duration_behaviors(behavior: str, task_state: str, execution_state: StateType) -> None:
    source = flow(
        f"""tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT1M
    behavior: {behavior}
"""
    )
    h = Harness((source,))
    execution_id = h.start("f")
    h.advance(timedelta(seconds=59))
    assert h.state_of(execution_id) is StateType.PAUSED
    h.advance(timedelta(seconds=1))
    assert h.task_states(execution_id)["wait"] == task_state
    assert h.state_of(execution_id) is execution_state


def test_kill_running_execution_waits_for_workers() -> None:
    source = flow(f"tasks:\n  - id: slow\n    {LOG}\n  - id: never\n    {LOG}\n")
    h = Harness((source,), behaviors={"slow": hang})
    execution_id = h.start("f")
    h.send(KillExecution(execution_id=execution_id), run=True)
    assert h.state_of(execution_id) is StateType.KILLED
    assert h.kills and h.kills[0].execution_id == execution_id
    assert h.task_states(execution_id) == {"slow": "KILLED"}
    states = [entry.state for entry in h.execution(execution_id).state.histories]
    assert states[-2:] == [StateType.KILLING, StateType.KILLED]


def test_kill_paused_execution() -> None:
    source = flow("tasks:\n  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n")
    h = Harness((source,))
    execution_id = h.start("f")
    h.send(KillExecution(execution_id=execution_id), run=True)
    assert h.state_of(execution_id) is StateType.KILLED


def test_manual_pause_holds_new_task_runs_until_resume() -> None:
    source = flow(f"tasks:\n  - id: a\n    {LOG}\n  - id: b\n    {LOG}\n")
    h = Harness((source,), behaviors={"a": hang})
    execution_id = h.start("f")
    h.send(PauseExecution(execution_id=execution_id), run=True)
    job = h.running_jobs.pop(h.runs(execution_id)["a"][0].id)
    h.send(h._result(job, StateType.SUCCESS), run=True)
    assert h.state_of(execution_id) is StateType.PAUSED
    assert "b" not in h.runs(execution_id)
    h.send(ResumeExecution(execution_id=execution_id), run=True)
    assert h.state_of(execution_id) is StateType.SUCCESS


def test_restart_reruns_failed_task_with_a_new_attempt() -> None:
    source = flow(f"tasks:\n  - id: a\n    {LOG}\n  - id: b\n    {LOG}\nerrors:\n  - id: e\n    {LOG}\n")
    outcomes = iter([(StateType.FAILED, None), (StateType.SUCCESS, None)])
    h = Harness((source,), behaviors={"b": lambda job: next(outcomes)})
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.FAILED
    h.send(RestartExecution(execution_id=execution_id), run=True)
    execution = h.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    assert execution.metadata.attempt_number == 2
    assert [entry.state for entry in execution.state.histories][-3:] == [
        StateType.RESTARTED,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]
    b = h.runs(execution_id)["b"][0]
    assert [a.state.current for a in b.attempts] == [StateType.FAILED, StateType.SUCCESS]
    assert len(h.runs(execution_id)["a"][0].attempts) == 1
    assert "e" not in h.runs(execution_id)
    assert {label.key: label.value for label in execution.labels}["system.restarted"] == "true"


def test_change_task_run_state_of_failed_task_recomputes_the_execution() -> None:
    source = flow(f"tasks:\n  - id: a\n    {LOG}\n  - id: b\n    {LOG}\n")
    h = Harness((source,), behaviors={"a": fail})
    execution_id = h.start("f")
    run_id = h.runs(execution_id)["a"][0].id
    h.send(
        ChangeTaskRunState(execution_id=execution_id, task_run_id=run_id, state=StateType.SUCCESS), run=True
    )
    assert h.state_of(execution_id) is StateType.SUCCESS
    assert h.order(execution_id) == ["a", "b"]


def test_subflow_waits_for_child_and_reads_its_outputs() -> None:
    child = flow(
        f"""inputs:
  - id: who
    type: STRING
tasks:
  - id: c
    {LOG}
outputs:
  - id: greeting
    type: STRING
    value: "hello {{{{ inputs.who }}}}"
""",
        "child",
    )
    parent = flow(
        f"""tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
    inputs:
      who: "{{{{ flow.id }}}}"
  - id: after
    {LOG}
""",
        "parent",
    )
    h = Harness((child, parent))
    execution_id = h.start("parent")
    assert h.state_of(execution_id) is StateType.SUCCESS
    call = h.runs(execution_id)["call"][0]
    child_id = call.outputs["executionId"]
    assert call.outputs["outputs"] == {"greeting": "hello parent"}
    assert call.outputs["state"] == "SUCCESS"
    child_execution = h.execution(child_id)
    assert child_execution.parent_id == execution_id
    labels = {label.key: label.value for label in child_execution.labels}
    assert labels["system.correlationId"] == execution_id
    assert h.job_for("after").variables["outputs"]["call"]["outputs"]["greeting"] == "hello parent"


def test_subflow_failure_is_transmitted_unless_disabled() -> None:
    child = flow(f"tasks:\n  - id: c\n    {LOG}\n", "child")
    parent = flow(
        """tasks:
  - id: strict
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
    allowFailure: true
  - id: lenient
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
    transmitFailed: false
  - id: missing
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: nope
""",
        "parent",
    )
    h = Harness((child, parent), behaviors={"c": fail})
    execution_id = h.start("parent")
    assert h.task_states(execution_id) == {"strict": "WARNING", "lenient": "SUCCESS", "missing": "FAILED"}
    assert h.state_of(execution_id) is StateType.FAILED


def test_subflow_without_wait_succeeds_at_once() -> None:
    child = flow("tasks:\n  - id: c\n    type: io.kestra.plugin.core.flow.Pause\n", "child")
    parent = flow(
        "tasks:\n  - id: fire\n    type: io.kestra.plugin.core.flow.Subflow\n"
        "    namespace: company.team\n    flowId: child\n    wait: false\n",
        "parent",
    )
    h = Harness((child, parent))
    execution_id = h.start("parent")
    assert h.state_of(execution_id) is StateType.SUCCESS
    child_id = h.runs(execution_id)["fire"][0].outputs["executionId"]
    assert h.state_of(child_id) is StateType.PAUSED


def test_kill_cascades_to_subflow_children() -> None:
    child = flow("tasks:\n  - id: c\n    type: io.kestra.plugin.core.flow.Pause\n", "child")
    parent = flow(
        "tasks:\n  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n"
        "    namespace: company.team\n    flowId: child\n",
        "parent",
    )
    h = Harness((child, parent))
    execution_id = h.start("parent")
    child_id = h.runs(execution_id)["call"][0].outputs["executionId"]
    h.send(KillExecution(execution_id=execution_id), run=True)
    assert h.state_of(child_id) is StateType.KILLED
    assert h.state_of(execution_id) is StateType.KILLED


def test_loop_until_iterates_until_its_condition(tmp_path: Path) -> None:
    source = flow(
        """tasks:
  - id: loop
    type: io.kestra.plugin.core.flow.LoopUntil
    condition: "{{ outputs.ret.value == '3' }}"
    checkFrequency:
      interval: PT1S
      maxIterations: 10
    tasks:
      - id: ret
        type: io.kestra.plugin.core.debug.Return
        format: "{{ outputs.loop.iterationCount }}"
"""
    )
    h = Harness((source,), real_tasks=True, work_dir=tmp_path)
    execution_id = h.start("f")
    h.advance(timedelta(seconds=5))
    assert h.state_of(execution_id) is StateType.SUCCESS
    assert len(h.runs(execution_id)["ret"]) == 3
    assert h.runs(execution_id)["loop"][0].outputs == {"iterationCount": 3}


def test_flow_concurrency_queue_then_run() -> None:
    source = flow(
        "concurrency:\n  limit: 1\ntasks:\n  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n"
    )
    h = Harness((source,))
    first = h.start("f")
    second = h.start("f")
    assert h.state_of(first) is StateType.PAUSED
    assert h.state_of(second) is StateType.QUEUED
    h.send(ResumeExecution(execution_id=first), run=True)
    assert h.state_of(first) is StateType.SUCCESS
    assert h.state_of(second) is StateType.PAUSED


@pytest.mark.parametrize(("behavior", "state"), [("CANCEL", StateType.CANCELLED), ("FAIL", StateType.FAILED)])
def test_flow_concurrency_cancel_or_fail(behavior: str, state: StateType) -> None:
    source = flow(
        f"concurrency:\n  limit: 1\n  behavior: {behavior}\n"
        "tasks:\n  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n"
    )
    h = Harness((source,))
    h.start("f")
    second = h.start("f")
    assert h.state_of(second) is state
    assert h.execution(second).task_run_list is None


def test_unqueue_forces_a_queued_execution_to_run() -> None:
    source = flow(
        "concurrency:\n  limit: 1\ntasks:\n  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n"
    )
    h = Harness((source,))
    h.start("f")
    second = h.start("f")
    h.send(Unqueue(execution_id=second), run=True)
    assert h.state_of(second) is StateType.PAUSED


def test_flow_retry_failed_task_in_place() -> None:
    source = flow(
        f"""retry:
  type: constant
  interval: PT30S
  maxAttempts: 2
tasks:
  - id: a
    {LOG}
"""
    )
    outcomes = iter([(StateType.FAILED, None), (StateType.SUCCESS, None)])
    h = Harness((source,), behaviors={"a": lambda job: next(outcomes)})
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.RETRYING
    h.advance(timedelta(seconds=30))
    assert h.state_of(execution_id) is StateType.SUCCESS
    states = [entry.state for entry in h.execution(execution_id).state.histories]
    assert states == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.FAILED,
        StateType.RETRYING,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]


def test_flow_retry_as_new_execution() -> None:
    source = flow(
        f"""retry:
  type: constant
  interval: PT1S
  maxAttempts: 2
  behavior: CREATE_NEW_EXECUTION
tasks:
  - id: a
    {LOG}
"""
    )
    h = Harness((source,), behaviors={"a": fail})
    execution_id = h.start("f")
    assert h.state_of(execution_id) is StateType.RETRIED
    (new_id,) = [key for key in h.states if key != execution_id]
    h.advance(timedelta(seconds=1))
    new = h.execution(new_id)
    assert new.state.current is StateType.FAILED
    assert new.metadata.attempt_number == 2
    assert new.original_id == execution_id


def test_scheduled_start_waits_for_its_date() -> None:
    from .harness import START

    source = flow(f"tasks:\n  - id: a\n    {LOG}\n")
    h = Harness((source,))
    execution_id = h.start("f", schedule_date=START + timedelta(minutes=5))
    assert h.state_of(execution_id) is StateType.CREATED
    h.advance(timedelta(minutes=5))
    assert h.state_of(execution_id) is StateType.SUCCESS


def test_terminated_execution_is_purged_later() -> None:
    source = flow(f"tasks:\n  - id: a\n    {LOG}\n")
    h = Harness((source,))
    execution_id = h.start("f")
    assert execution_id in h.states
    h.advance(h.settings.purge_after)
    assert execution_id not in h.states
    assert h.purged[execution_id].state.current is StateType.SUCCESS


def test_unknown_flow_fails_the_execution() -> None:
    h = Harness((flow(f"tasks:\n  - id: a\n    {LOG}\n"),))
    h.flows[("company.team", "ghost")] = h.flows[("company.team", "f")]
    execution_id = h.start("ghost")
    del h.flows[("company.team", "ghost")]
    assert h.state_of(execution_id) is StateType.SUCCESS
    from kestra_stream.executor.messages import NewExecution

    h.send(NewExecution(execution=h.execution(execution_id).model_copy(update={"id": "other"})), run=True)
    assert h.state_of("other") is StateType.FAILED
