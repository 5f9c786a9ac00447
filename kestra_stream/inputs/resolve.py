"""Resolve the inputs of a new execution (kestra-features.md §5.3).

Inputs are taken in ``dependsOn`` order; each gets its provided value, else its rendered
``defaults``; a failing ``dependsOn.condition`` (or a disabled dependency) disables it. Every
problem is collected, then reported at once with :class:`InputValidationError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import structlog

from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.inputs.errors import InputProblem, InputValidationError, InputValueError
from kestra_stream.inputs.model import FileInput, Input, MultiselectInput, SelectInput, StringInput

Render = Callable[[Any, Mapping[str, Any]], Any]
"""Renders a value (a Pebble template, or a structure holding some) against variables."""

StoreFile = Callable[[str, Any], str]
"""Stores a FILE input value (upload, bytes, path or ``nsfile://``/``file://`` URI) as input
``input_id`` and returns its ``kestra://`` URI."""

_TEXT_TYPES = (StringInput,)

log = structlog.get_logger(__name__)

_CONDITION = "Invalid condition"


def dependency_order(inputs: Sequence[Input]) -> list[Input]:
    """Declaration order, except that an input comes after the inputs it depends on.

    Unknown dependencies are ignored here (flow validation reports them); a cycle raises.
    """
    known = {item.id for item in inputs}
    pending = list(inputs)
    placed: set[str] = set()
    ordered: list[Input] = []
    while pending:
        ready = next(
            (
                item
                for item in pending
                if all(need in placed or need not in known for need in _dependencies(item))
            ),
            None,
        )
        if ready is None:
            cycle = " -> ".join(item.id for item in pending)
            raise ValueError(f"cyclic `dependsOn` between inputs: {cycle}")
        ordered.append(ready)
        placed.add(ready.id)
        pending.remove(ready)
    return ordered


def _dependencies(item: Input) -> list[str]:
    return item.depends_on.inputs if item.depends_on is not None else []


def unflatten(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}`` (nested input ids)."""
    tree: dict[str, Any] = {}
    for key, value in values.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return tree


def _provided_value(provided: Mapping[str, Any], input_id: str) -> Any:
    if input_id in provided:
        return provided[input_id]
    node: Any = provided
    for part in input_id.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _is_missing(item: Input, value: Any) -> bool:
    return value is None or (value == "" and not isinstance(item, _TEXT_TYPES))


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip() == "true")


def rendered(render: Render, value: Any, variables: Mapping[str, Any], *, cause: str = "") -> Any:
    """``render(value, variables)``; any failure is an :class:`InputValueError` (a 4xx naming the
    input, never a server error), worded as Kestra words it: ``<cause>. Cause: <error>``."""
    try:
        return render(value, variables)
    except InputValueError:
        raise
    except Exception as error:
        reason = str(error)
        if not isinstance(error, ExpressionError):  # a service failed, not the template: say what
            log.warning("inputs.render_failed", error=repr(error))
            reason = f"{type(error).__name__}: {error}"
        raise InputValueError(f"{cause}. Cause: {reason}" if cause else reason) from None


def _with_rendered_choices(item: Input, render: Render | None, variables: Mapping[str, Any]) -> Input:
    if not isinstance(item, SelectInput | MultiselectInput) or item.expression is None:
        return item
    if render is None:
        raise InputValueError("`expression` needs an expression engine to be rendered")
    choices = rendered(render, item.expression, variables, cause="Cannot render 'expression'")
    if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
        raise InputValueError(
            f"Invalid expression result. Expected a list of strings, but received {choices}"
        )
    return item.model_copy(update={"values": choices})


def resolve_inputs(
    flow_inputs: Iterable[Input],
    provided: Mapping[str, Any] | None = None,
    *,
    render: Render | None = None,
    store_file: StoreFile | None = None,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Typed input values for a new execution, nested ids un-flattened.

    ``variables`` are the rendering context besides ``inputs`` (flow, execution, ...). Without
    ``render``, ``defaults`` are taken literally and ``dependsOn.condition`` cannot be evaluated.
    Values the flow does not declare are ignored.
    """
    provided = provided or {}
    base = dict(variables or {})
    resolved: dict[str, Any] = {}
    disabled: set[str] = set()
    problems: list[InputProblem] = []
    for item in dependency_order(list(flow_inputs)):
        context = {**base, "inputs": unflatten(resolved)}
        if item.depends_on is not None:
            if any(dependency in disabled for dependency in item.depends_on.inputs):
                disabled.add(item.id)
                continue
            if item.depends_on.condition is not None:
                if render is None:
                    raise ValueError(
                        f"input `{item.id}` has a `dependsOn.condition` but no `render` was given"
                    )
                try:
                    condition = rendered(render, item.depends_on.condition, context, cause=_CONDITION)
                except InputValueError as error:
                    problems.append(InputProblem(item.id, str(error), None))
                    continue
                if not _is_true(condition):
                    disabled.add(item.id)
                    continue
        raw = _provided_value(provided, item.id)
        try:
            if _is_missing(item, raw) and item.defaults is not None:
                raw = rendered(render, item.defaults, context) if render is not None else item.defaults
            if _is_missing(item, raw):
                if item.required:
                    problems.append(InputProblem(item.id, "missing required input", None))
                    continue
                resolved[item.id] = None
                continue
            if isinstance(item, FileInput) and not str(raw).startswith("kestra://"):
                if store_file is None:
                    raise InputValueError("a FILE input needs a file storage")
                raw = store_file(item.id, raw)
            resolved[item.id] = _with_rendered_choices(item, render, context).coerce(raw)
        except InputValueError as error:
            problems.append(InputProblem(item.id, str(error), raw))
    if problems:
        raise InputValidationError(problems)
    return unflatten(resolved)
