"""The run and resume forms' check (``POST /executions/{ns}/{id}/validate``,
``POST /executions/{id}/resume/validate``): every input with its state, as Kestra's
``FlowInputOutput.resolveInputs`` reports it, without creating or resuming anything.

Per input, in ``dependsOn`` order (kestra-features.md §5.3):

* ``enabled``: every dependency is enabled and the ``dependsOn.condition``, when there is one,
  renders to ``true``; a condition that fails to render disables the input and is its error
  (``Invalid condition: ...``). A disabled input has no value and no other error.
* ``input``: the declaration, with a SELECT/MULTISELECT ``expression`` rendered into its
  ``values`` against the inputs it depends on (the form's choices).
* ``value``: the provided value, else the rendered ``defaults`` (``isDefault``), parsed.
* ``errors``: ``[{message}]``, Kestra's wording (``Invalid input for `x`, ...``).

An input with errors is still enabled, so the inputs depending on it are evaluated (with a null
value for it: ``{{ inputs.env == 'prod' }}`` is false, not an error), as Kestra does. Uploaded
files are checked (extension) but not stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kestra_stream.inputs import (
    FileInput,
    Input,
    InputProblem,
    InputValueError,
    Render,
    dependency_order,
    unflatten,
)
from kestra_stream.inputs.resolve import (
    _is_missing,
    _is_true,
    _provided_value,
    _with_rendered_choices,
    rendered,
)


@dataclass(frozen=True, slots=True)
class UploadedName:
    """A file part seen by a validation: only its name matters (nothing is stored)."""

    filename: str


@dataclass(slots=True)
class InputState:
    input: Input
    value: Any = None
    enabled: bool = True
    is_default: bool = False
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "input": self.input.model_dump(mode="json", by_alias=True, exclude_none=True),
            "value": self.value,
            "enabled": self.enabled,
            "isDefault": self.is_default,
            "errors": [{"message": message} for message in self.errors],
        }


def _problem(item: Input, reason: str, value: Any) -> str:
    return InputProblem(item.id, reason, value).message


def input_states(
    inputs: Iterable[Input],
    provided: Mapping[str, Any],
    *,
    render: Render,
    variables: Mapping[str, Any] | None = None,
) -> list[InputState]:
    """The state of every input, in declaration order."""
    declared = list(inputs)
    base = dict(variables or {})
    states: dict[str, InputState] = {}
    values: dict[str, Any] = {}
    try:
        ordered = dependency_order(declared)
    except ValueError as error:  # a dependsOn cycle: flow validation rejects it, report it anyway
        return [InputState(item, enabled=False, errors=[str(error)]) for item in declared]
    for item in ordered:
        state = states[item.id] = InputState(item)
        context = {**base, "inputs": unflatten(values)}
        if item.depends_on is not None:
            known = [states[need] for need in item.depends_on.inputs if need in states and need != item.id]
            if not all(dependency.enabled for dependency in known):
                state.enabled = False
                continue
            if item.depends_on.condition is not None:
                try:
                    state.enabled = _is_true(rendered(render, item.depends_on.condition, context))
                except InputValueError as error:
                    state.enabled = False
                    state.errors.append(f"Invalid condition: {error}")
                if not state.enabled:
                    continue
        _resolve(state, _provided_value(provided, item.id), render, context)
        values[item.id] = state.value  # None when missing or invalid, as Kestra's run context has it
    return [states[item.id] for item in declared]


def _resolve(state: InputState, raw: Any, render: Render, context: Mapping[str, Any]) -> None:
    item = state.input
    if isinstance(raw, UploadedName) and not isinstance(item, FileInput):
        raw = raw.filename
    try:
        item = state.input = _with_rendered_choices(item, render, context)
        if _is_missing(item, raw) and item.defaults is not None:
            raw = rendered(render, item.defaults, context)
            state.is_default = True
        if _is_missing(item, raw):
            if item.required:
                state.errors.append(_problem(item, "missing required input", None))
            return
        if isinstance(item, FileInput):
            name = raw.filename if isinstance(raw, UploadedName) else str(raw)
            item.check(name)
            state.value = name
            return
        state.value = item.coerce(raw)
    except InputValueError as error:
        shown = raw.filename if isinstance(raw, UploadedName) else raw
        state.errors.append(_problem(item, str(error), shown))


def validation_response(flow_id: str, namespace: str, states: Iterable[InputState]) -> dict[str, Any]:
    """Kestra's ``ApiValidateExecutionInputsResponse``."""
    return {"id": flow_id, "namespace": namespace, "inputs": [state.to_json() for state in states]}


VALIDATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "namespace": {"type": "string"},
        "inputs": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "input": {"type": "object"},
                    "value": {},
                    "enabled": {"type": "boolean"},
                    "isDefault": {"type": "boolean"},
                    "errors": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"message": {"type": "string"}}},
                    },
                },
            },
        },
    },
    "required": ["id", "namespace", "inputs"],
}
