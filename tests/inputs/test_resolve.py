from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import TypeAdapter

from kestra_stream import user_regex
from kestra_stream.inputs import AnyInput, Input, InputValidationError, dependency_order, resolve_inputs

_ADAPTER: TypeAdapter[list[Input]] = TypeAdapter(list[AnyInput])


def inputs(*definitions: dict[str, Any]) -> list[Input]:
    return _ADAPTER.validate_python(list(definitions))


def fake_render(value: Any, variables: Mapping[str, Any]) -> Any:
    """Just enough of the expression engine: `{{ inputs.x }}`, `{{ inputs.x == 'v' }}`, `{{ now() }}`."""
    if not isinstance(value, str) or "{{" not in value:
        return value
    expression = value.strip().removeprefix("{{").removesuffix("}}").strip()
    if expression == "now()":
        return "2024-01-01T00:00:00Z"
    if "==" in expression:
        left, right = (part.strip() for part in expression.split("=="))
        return (
            "true"
            if str(variables["inputs"].get(left.removeprefix("inputs."))) == right.strip("'")
            else "false"
        )
    if expression.startswith("kv("):
        return ["A", "B"]
    return variables["inputs"][expression.removeprefix("inputs.")]


E05 = inputs(
    {"id": "age", "type": "INT", "required": False, "min": 18, "max": 64},
    {"id": "user", "type": "STRING", "required": False, "validator": r"^student(\d+)?$"},
    {"id": "date", "type": "DATE", "defaults": "2024-04-12", "after": "2024-04-10", "before": "2024-04-15"},
)


def test_e05_valid_and_defaults() -> None:
    assert resolve_inputs(E05, {"age": "30", "user": "student1"}) == {
        "age": 30,
        "user": "student1",
        "date": "2024-04-12",
    }
    assert resolve_inputs(E05, {}) == {"age": None, "user": None, "date": "2024-04-12"}


def test_a_catastrophic_validator_times_out_as_an_input_problem() -> None:
    catastrophic = inputs({"id": "s", "type": "STRING", "validator": "(a|aa)+$"})
    user_regex.set_timeout(0.05)
    try:
        with pytest.raises(InputValidationError) as raised:
            resolve_inputs(catastrophic, {"s": "a" * 64 + "b"})
    finally:
        user_regex.set_timeout(user_regex.DEFAULT_TIMEOUT)
    assert raised.value.messages == [
        f"Invalid input for `s`, regex `(a|aa)+$` timed out after 0.05s, but received `{'a' * 64}b`"
    ]


def test_every_problem_is_reported_in_kestra_words() -> None:
    with pytest.raises(InputValidationError) as raised:
        resolve_inputs(E05, {"age": "17", "user": "studentabc", "date": "2024-04-16"})
    assert raised.value.messages == [
        "Invalid input for `age`, it must be more than `18`, but received `17`",
        r"Invalid input for `user`, it must match the pattern `^student(\d+)?$`, but received `studentabc`",
        "Invalid input for `date`, it must be before `2024-04-15`, but received `2024-04-16`",
    ]


def test_missing_required_input() -> None:
    with pytest.raises(InputValidationError) as raised:
        resolve_inputs(inputs({"id": "param", "type": "STRING", "required": True}), {})
    assert raised.value.messages == ["Invalid input for `param`, missing required input, but received `null`"]


def test_defaults_are_rendered_and_may_be_native() -> None:
    definitions = inputs(
        {"id": "when", "type": "DATETIME", "defaults": "{{ now() }}"},
        {"id": "numbers", "type": "ARRAY", "itemType": "INT", "defaults": [1, 2, 3]},
        {"id": "payload", "type": "JSON", "defaults": '{"a": 1}'},
        {"id": "flag", "type": "BOOL", "defaults": True},
    )
    assert resolve_inputs(definitions, {}, render=fake_render) == {
        "when": "2024-01-01T00:00:00.000000Z",
        "numbers": [1, 2, 3],
        "payload": {"a": 1},
        "flag": True,
    }


def test_depends_on_orders_and_disables() -> None:
    definitions = inputs(
        {
            "id": "detail",
            "type": "STRING",
            "defaults": "{{ inputs.kind }}",
            "dependsOn": {"inputs": ["kind"], "condition": "{{ inputs.kind == 'full' }}"},
        },
        {"id": "kind", "type": "SELECT", "values": ["full", "short"]},
        {"id": "extra", "type": "INT", "dependsOn": {"inputs": ["detail"]}},
    )
    assert [item.id for item in dependency_order(definitions)] == ["kind", "detail", "extra"]
    assert resolve_inputs(definitions, {"kind": "full", "extra": "1"}, render=fake_render) == {
        "kind": "full",
        "detail": "full",
        "extra": 1,
    }
    assert resolve_inputs(definitions, {"kind": "short", "extra": "x"}, render=fake_render) == {
        "kind": "short"
    }


def test_select_values_from_an_expression() -> None:
    definitions = inputs({"id": "choice", "type": "SELECT", "expression": "{{ kv('VALUES') }}"})
    assert resolve_inputs(definitions, {"choice": "B"}, render=fake_render) == {"choice": "B"}
    with pytest.raises(InputValidationError, match="it must match the values `\\[A, B\\]`"):
        resolve_inputs(definitions, {"choice": "C"}, render=fake_render)


def test_any_rendering_failure_is_an_input_problem() -> None:
    """A service failing inside ``expression``/``defaults`` (not only a template error) is reported
    against the input, never raised as is (the API would answer 500)."""

    def failing(value: Any, variables: Mapping[str, Any]) -> Any:
        raise OSError("storage unreachable")

    definitions = inputs(
        {"id": "choice", "type": "SELECT", "expression": "{{ kv('VALUES') }}"},
        {"id": "text", "type": "STRING", "defaults": "{{ kv('DEFAULT') }}"},
    )
    with pytest.raises(InputValidationError) as raised:
        resolve_inputs(definitions, {"choice": "A"}, render=failing)
    assert raised.value.messages == [
        "Invalid input for `choice`, Cannot render 'expression'. Cause: OSError: storage unreachable, "
        "but received `A`",
        "Invalid input for `text`, OSError: storage unreachable, but received `null`",
    ]


def test_nested_ids_and_unknown_values() -> None:
    definitions = inputs({"id": "nested.string", "type": "STRING"}, {"id": "nested.int", "type": "INT"})
    resolved = resolve_inputs(definitions, {"nested.string": "s", "nested": {"int": "2"}, "ignored": 1})
    assert resolved == {"nested": {"string": "s", "int": 2}}


def test_files_go_through_the_storage_callable() -> None:
    stored: list[tuple[str, Any]] = []

    def store(input_id: str, value: Any) -> str:
        stored.append((input_id, value))
        return f"kestra:///company/team/flow/executions/e/inputs/{input_id}/data.txt"

    definitions = inputs({"id": "file", "type": "FILE"})
    assert resolve_inputs(definitions, {"file": b"content"}, store_file=store) == {
        "file": "kestra:///company/team/flow/executions/e/inputs/file/data.txt"
    }
    assert stored == [("file", b"content")]
    with pytest.raises(InputValidationError, match="needs a file storage"):
        resolve_inputs(definitions, {"file": b"content"})


def test_empty_form_value_is_missing_except_for_strings() -> None:
    definitions = inputs({"id": "n", "type": "INT", "required": False}, {"id": "s", "type": "STRING"})
    assert resolve_inputs(definitions, {"n": "", "s": ""}) == {"n": None, "s": ""}
