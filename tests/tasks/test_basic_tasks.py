from __future__ import annotations

import time
from typing import Any

import pytest

import kestra_stream.plugins.core  # noqa: F401  (registers the tasks)
from kestra_stream.plugins.base import RunnableTask
from kestra_stream.plugins.registry import registry
from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, TaskTimeoutError, run_task

from .conftest import MakeContext


def task(definition: dict[str, Any]) -> RunnableTask:
    cls = registry.resolve(definition["type"])
    built = cls.model_validate({"id": "t", **definition})
    assert isinstance(built, RunnableTask)
    return built


def test_log_message_list_at_level(ctx: TaskRunContext, sink: CollectingSink) -> None:
    log = task(
        {
            "type": "io.kestra.plugin.core.log.Log",
            "message": ["hello {{ flow.id }}", "second"],
            "level": "WARN",
        }
    )
    assert run_task(log, ctx) == {}
    assert sink.messages("WARN") == ["hello flow", "second"]


def test_log_old_alias_and_default_level(ctx: TaskRunContext, sink: CollectingSink) -> None:
    run_task(task({"type": "io.kestra.core.tasks.log.Log", "message": "hi"}), ctx)
    assert [(log.level, log.message) for log in sink.logs] == [("INFO", "hi")]


def test_log_level_of_the_context_drops_lower_levels(make_context: MakeContext, sink: CollectingSink) -> None:
    ctx = make_context(log_level="INFO")
    run_task(task({"type": "io.kestra.plugin.core.log.Log", "message": "x", "level": "DEBUG"}), ctx)
    assert sink.logs == []


def test_return_value_and_metrics(ctx: TaskRunContext, sink: CollectingSink) -> None:
    outputs = run_task(
        task({"type": "io.kestra.plugin.core.debug.Return", "format": "{{ flow.namespace }}"}), ctx
    )
    assert outputs == {"value": "company.team"}
    assert sink.metric("length").value == len("company.team")
    assert sink.metric("duration").type == "timer"


def test_return_renders_numbers_as_text(ctx: TaskRunContext) -> None:
    outputs = run_task(task({"type": "io.kestra.core.tasks.debugs.Return", "format": "{{ 1 + 1 }}"}), ctx)
    assert outputs == {"value": "2"}


def test_output_values_render_text_as_kestra(make_context: MakeContext) -> None:
    """Kestra 1.3.31 (tests/compat 02, 70): rendered strings stay strings, YAML scalars keep types."""
    ctx = make_context({"inputs": {"n": 3, "names": ["a", "b"]}})
    outputs = run_task(
        task(
            {
                "type": "io.kestra.plugin.core.output.OutputValues",
                "values": {
                    "count": "{{ inputs.n }}",
                    "names": "{{ inputs.names }}",
                    "msg": "n={{ inputs.n }}",
                    "literal": 7,
                    "nothing": "{{ null }}",
                },
            }
        ),
        ctx,
    )
    assert outputs == {"values": {"count": "3", "names": '["a","b"]', "msg": "n=3", "literal": 7}}


def test_fail_without_condition(ctx: TaskRunContext, sink: CollectingSink) -> None:
    with pytest.raises(TaskFailure, match="boom flow"):
        run_task(
            task({"type": "io.kestra.plugin.core.execution.Fail", "errorMessage": "boom {{ flow.id }}"}), ctx
        )
    assert sink.messages("ERROR") == ["boom flow"]


@pytest.mark.parametrize(
    ("condition", "fails"), [("{{ 1 == 1 }}", True), ("{{ 1 == 2 }}", False), ("", False)]
)
def test_fail_with_condition(ctx: TaskRunContext, condition: str, fails: bool) -> None:
    fail = task({"type": "io.kestra.core.tasks.executions.Fail", "condition": condition})
    if fails:
        with pytest.raises(TaskFailure, match="Task failure"):
            run_task(fail, ctx)
    else:
        assert run_task(fail, ctx) == {}


def test_labels_map_and_list(ctx: TaskRunContext) -> None:
    as_map = task(
        {"type": "io.kestra.plugin.core.execution.Labels", "labels": {"song": "{{ flow.id }}", "n": 1}}
    )
    assert run_task(as_map, ctx) == {"labels": [{"key": "song", "value": "flow"}, {"key": "n", "value": "1"}]}
    as_list = task(
        {"type": "io.kestra.plugin.core.execution.Labels", "labels": [{"key": "{{ flow.id }}", "value": "x"}]}
    )
    assert run_task(as_list, ctx) == {"labels": [{"key": "flow", "value": "x"}]}


def test_labels_refuse_system_keys(ctx: TaskRunContext) -> None:
    with pytest.raises(TaskFailure, match="system"):
        run_task(task({"type": "io.kestra.plugin.core.execution.Labels", "labels": {"system.x": "1"}}), ctx)


def test_sleep_and_timeout(ctx: TaskRunContext) -> None:
    started = time.monotonic()
    assert run_task(task({"type": "io.kestra.plugin.core.flow.Sleep", "duration": "PT0.2S"}), ctx) == {}
    assert time.monotonic() - started >= 0.2
    slow = task({"type": "io.kestra.plugin.core.flow.Sleep", "duration": "PT30S", "timeout": "PT0.3S"})
    started = time.monotonic()
    with pytest.raises(TaskTimeoutError, match=r"Timeout after PT0\.3S"):
        run_task(slow, ctx)
    assert time.monotonic() - started < 3


def test_templated_task_runs_the_rendered_spec(make_context: MakeContext, sink: CollectingSink) -> None:
    ctx = make_context({"inputs": {"property": "format", "value": "hi"}})
    templated = task(
        {
            "type": "io.kestra.plugin.core.templating.TemplatedTask",
            "spec": "type: io.kestra.plugin.core.debug.Return\n{{ inputs.property }}: '{{ inputs.value }}'\n",
        }
    )
    assert run_task(templated, ctx) == {"value": "hi"}


def test_templated_task_rejects_unknown_types(ctx: TaskRunContext) -> None:
    templated = task({"type": "io.kestra.plugin.core.templating.TemplatedTask", "spec": "type: nope.Nope"})
    with pytest.raises(TaskFailure, match="unknown task type"):
        run_task(templated, ctx)


def test_unknown_properties_are_rejected() -> None:
    with pytest.raises(ValueError):
        task({"type": "io.kestra.plugin.core.log.Log", "message": "x", "nope": 1})
