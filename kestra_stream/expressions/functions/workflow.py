"""Execution-aware helpers: ``errorLogs``, ``currentEachOutput``, ``tasksWithState``…"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.functions._context import services, variable
from kestra_stream.expressions.services import require


def _loop_values(context: Context) -> list[Any]:
    """Values of the enclosing loop iterations, outermost first, then the current one."""
    parents = context.get("parents")
    values: list[Any] = []
    if isinstance(parents, list):
        for parent in reversed(parents):
            value = parent.get("taskrun", {}).get("value") if isinstance(parent, Mapping) else None
            if value is not None:
                values.append(value)
    current = variable(context, "taskrun", "value")
    if current is not None:
        values.append(current)
    return values


@pass_context
def current_each_output(context: Context, outputs: Any) -> Any:
    """Dig into ``outputs.task`` with the values of the current ForEach iteration(s)."""
    result = outputs
    for value in _loop_values(context):
        if isinstance(result, Mapping) and value in result:
            result = result[value]
    return result


@pass_context
def iteration_output(context: Context, outputs: Any, iteration: int | None = None) -> Any:
    """Output of another iteration of the enclosing loop (default: the previous one)."""
    if not isinstance(outputs, Mapping):
        raise ExpressionError("iterationOutput() expects the outputs of a task inside a loop")
    current = variable(context, "taskrun", "iteration")
    index = iteration if iteration is not None else (int(current) - 1 if current is not None else -1)
    keys = list(outputs)
    if not 0 <= index < len(keys):
        return None
    return outputs[keys[index]]


@pass_context
def parent_output(context: Context, index: int = 0) -> Any:
    parents = context.get("parents")
    if not isinstance(parents, list) or not 0 <= index < len(parents):
        return None
    parent = parents[index]
    return parent.get("outputs") if isinstance(parent, Mapping) else None


@pass_context
def error_logs(context: Context) -> list[Any]:
    return list(require(services(context).error_logs, "errorLogs")())


@pass_context
def tasks_with_state(context: Context, state: str) -> list[Any]:
    return list(require(services(context).tasks_with_state, "tasksWithState")(state.upper()))


@pass_context
def app_link(context: Context, appId: str | None = None, baseUrl: bool = False) -> str:
    return str(require(services(context).app_link, "appLink")(appId=appId, baseUrl=baseUrl))


def loop_outputs(outputs: Any, name: Any = None) -> list[Any]:
    """``loopOutputs(outputs.myLoop.outputs, 'name')``: one declared output of every Loop iteration."""
    if outputs is None:
        raise ExpressionError("The 'loopOutputs' function expects the outputs of a Loop task")
    if not isinstance(outputs, list | tuple):
        raise ExpressionError(
            "The 'loopOutputs' function expects a list: the `outputs` output of a Loop task"
        )
    if not isinstance(name, str):
        raise ExpressionError("The 'loopOutputs' function expects the name of an output as second argument")
    values: list[Any] = []
    for iteration in outputs:
        iteration_outputs = iteration.get("outputs") if isinstance(iteration, Mapping) else None
        if isinstance(iteration_outputs, Mapping) and name in iteration_outputs:
            values.append(iteration_outputs[name])
    return values


WORKFLOW_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "loopOutputs": loop_outputs,
    "errorLogs": error_logs,
    "currentEachOutput": current_each_output,
    "iterationOutput": iteration_output,
    "parentOutput": parent_output,
    "tasksWithState": tasks_with_state,
    "appLink": app_link,
}
