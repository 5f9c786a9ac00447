from __future__ import annotations

import textwrap

import pytest

from kestra_stream.flows import Flow, FlowValidationError, all_tasks, parse_flow, parse_flows
from kestra_stream.plugins.flow import If, Parallel, Pause, Subflow, Switch


def flow_source(tasks: str, extra: str = "") -> str:
    return (
        textwrap.dedent("""\
        id: sample
        namespace: company.team
        tasks:
        """)
        + textwrap.indent(textwrap.dedent(tasks), "  ")
        + textwrap.dedent(extra)
    )


def test_parse_minimal_flow() -> None:
    flow = parse_flow(flow_source("- {id: hello, type: io.kestra.plugin.core.log.Log, message: Hello}\n"))
    assert isinstance(flow, Flow)
    assert flow.id == "sample" and flow.namespace == "company.team"
    assert flow.tasks[0].id == "hello"


def test_old_type_names_resolve_to_the_same_classes() -> None:
    flow = parse_flow(
        flow_source(
            """\
            - id: if
              type: io.kestra.core.tasks.flows.If
              condition: "{{ true }}"
              then:
                - id: par
                  type: io.kestra.core.tasks.flows.Parallel
                  tasks: [{id: l, type: io.kestra.core.tasks.log.Log, message: x}]
            - {id: call, type: io.kestra.core.tasks.flows.Flow, namespace: other, flowId: child}
            """
        )
    )
    assert isinstance(flow.tasks[0], If)
    assert isinstance(flow.tasks[0].then[0], Parallel)
    assert isinstance(flow.tasks[1], Subflow)
    assert flow.tasks[1].type == "io.kestra.core.tasks.flows.Flow"  # kept as written


def test_switch_boolean_and_number_case_keys_become_strings() -> None:
    flow = parse_flow(
        flow_source(
            """\
            - id: switch
              type: io.kestra.plugin.core.flow.Switch
              value: "{{ inputs.x }}"
              cases:
                true: [{id: a, type: io.kestra.plugin.core.log.Log, message: "yes"}]
                200: [{id: b, type: io.kestra.plugin.core.log.Log, message: ok}]
              default: [{id: c, type: io.kestra.plugin.core.log.Log, message: other}]
            """
        )
    )
    switch = flow.tasks[0]
    assert isinstance(switch, Switch)
    assert set(switch.cases or {}) == {"true", "200"}
    assert switch.defaults is not None and switch.defaults[0].id == "c"


def test_unquoted_dates_stay_strings() -> None:
    flow = parse_flow(
        flow_source(
            "- {id: t, type: io.kestra.plugin.core.log.Log, message: hi}\n",
            "inputs:\n  - {id: d, type: DATE, defaults: 2024-04-12, after: 2024-04-10}\n"
            "variables:\n  day: 2024-01-01\n",
        )
    )
    assert flow.inputs is not None and flow.inputs[0].defaults == "2024-04-12"
    assert flow.variables == {"day": "2024-01-01"}


def test_errors_under_boolean_case_keys_have_readable_paths() -> None:
    source = flow_source(
        """\
        - id: switch
          type: io.kestra.plugin.core.flow.Switch
          value: x
          cases:
            true: [{id: a, type: io.kestra.plugin.core.log.Log}]
        """
    )
    with pytest.raises(FlowValidationError) as raised:
        parse_flow(source)
    (violation,) = raised.value.violations
    assert (violation.path, violation.line) == ("tasks[0].cases.true[0].message", 8)


def test_numbers_are_read_into_text_properties() -> None:
    flow = parse_flow(flow_source("- {id: t, type: io.kestra.plugin.core.debug.Return, format: 42}\n"))
    assert flow.tasks[0].format == "42"  # type: ignore[attr-defined]


def test_pause_accepts_the_old_delay_name() -> None:
    flow = parse_flow(flow_source("- {id: p, type: io.kestra.plugin.core.flow.Pause, delay: PT5S}\n"))
    pause = flow.tasks[0]
    assert isinstance(pause, Pause) and pause.pause_duration == "PT5S"


def test_labels_as_map_or_list() -> None:
    task = "- {id: t, type: io.kestra.plugin.core.log.Log, message: hi}\n"
    as_map = parse_flow(flow_source(task, "labels: {team: data, env: prod}\n"))
    as_list = parse_flow(
        flow_source(task, "labels:\n  - {key: team, value: data}\n  - {key: env, value: prod}\n")
    )
    assert as_map.labels == as_list.labels
    assert parse_flow(flow_source(task, "labels: {system.readOnly: true}\n")).labels is not None


def test_all_tasks_walks_every_branch_with_paths() -> None:
    flow = parse_flow(
        flow_source(
            """\
            - id: dag
              type: io.kestra.plugin.core.flow.Dag
              tasks:
                - task: {id: a, type: io.kestra.plugin.core.log.Log, message: a}
                - task: {id: b, type: io.kestra.plugin.core.log.Log, message: b}
                  dependsOn: [a]
            """,
            "errors:\n  - {id: e, type: io.kestra.plugin.core.log.Log, message: e}\n",
        )
    )
    paths = {located.plugin.id: located.path for located in all_tasks(flow)}
    assert paths == {
        "dag": ("tasks", 0),
        "a": ("tasks", 0, "tasks", 0, "task"),
        "b": ("tasks", 0, "tasks", 1, "task"),
        "e": ("errors", 0),
    }


def test_violations_carry_line_and_column_and_all_are_reported() -> None:
    source = flow_source(
        """\
        - id: a
          type: io.kestra.plugin.core.log.Log
        - id: b
          type: io.kestra.plugin.core.flow.If
          then: []
        """
    )
    with pytest.raises(FlowValidationError) as raised:
        parse_flow(source)
    found = {(v.path, v.message, v.line, v.column) for v in raised.value.violations}
    assert found == {
        ("tasks[0].message", "must not be null", 4, 5),
        ("tasks[1].condition", "must not be null", 6, 5),
        ("tasks[1].then", "must not be empty", 8, 5),
    }
    assert "tasks[0].message: must not be null" in str(raised.value)


def test_multi_document_sources() -> None:
    one = flow_source("- {id: t, type: io.kestra.plugin.core.log.Log, message: hi}\n")
    flows = parse_flows(one + "---\n" + one.replace("sample", "second"))
    assert [flow.id for flow in flows] == ["sample", "second"]
    with pytest.raises(FlowValidationError, match="expected one flow"):
        parse_flow(one + "---\n" + one)


def test_positions_of_a_later_document_are_absolute() -> None:
    good = flow_source("- {id: t, type: io.kestra.plugin.core.log.Log, message: hi}\n")
    bad = "id: other\nnamespace: company.team\ntasks:\n  - {id: t, type: io.kestra.plugin.core.log.Log}\n"
    with pytest.raises(FlowValidationError) as raised:
        parse_flows(good + "---\n" + bad)
    (violation,) = raised.value.violations
    assert violation.line == good.count("\n") + 1 + 4


def test_round_trip_to_json() -> None:
    flow = parse_flow(
        flow_source(
            "- id: t\n  type: io.kestra.plugin.core.log.Log\n  message: hi\n  timeout: PT5M\n"
            "  retry: {type: exponential, interval: PT1S, maxInterval: PT1M, maxAttempt: 3}\n"
        )
    )
    data = flow.to_json_dict()
    assert data["tasks"][0]["retry"] == {
        "type": "exponential",
        "interval": "PT1S",
        "maxInterval": "PT1M",
        "maxAttempts": 3,
        "warningOnRetry": False,
        "behavior": "RETRY_FAILED_TASK",
    }
    assert Flow.model_validate(data) == flow
