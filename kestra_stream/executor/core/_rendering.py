"""The executor's own rendering (conditions, values, durations) with the shared context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import orjson

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.flows.model import FlowOutput
from kestra_stream.inputs import INPUT_CLASSES
from kestra_stream.models.durations import is_expression, parse_duration


def render_typed(engine: ExpressionEngine, value: Any, context: Mapping[str, Any]) -> Any:
    return engine.render_typed(value, context)


def render_text(engine: ExpressionEngine, value: Any, context: Mapping[str, Any]) -> str:
    if isinstance(value, str):
        return engine.render(value, context)
    return "" if value is None else str(value)


def render_condition(engine: ExpressionEngine, condition: str, context: Mapping[str, Any]) -> bool:
    """Kestra's truthiness of the rendered *text*: false iff ``""``, ``false``, ``0`` or ``-0``."""
    return ExpressionEngine.is_truthy(engine.render(condition, context).strip())


def render_duration(engine: ExpressionEngine, value: str, context: Mapping[str, Any]) -> timedelta:
    text = engine.render(value, context) if is_expression(value) else value
    return parse_duration(str(text).strip())


def iteration_key(value: Any) -> str:
    """``taskrun.value``: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def loop_values(engine: ExpressionEngine, values: Any, context: Mapping[str, Any]) -> list[str]:
    """ForEach ``values``: a list, a JSON array text, or an expression; de-duplicated, no nulls."""
    rendered = engine.render_typed(values, context)
    if isinstance(rendered, str):
        try:
            rendered = orjson.loads(rendered)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"Unable to parse values as a JSON array: {error}") from None
    if isinstance(rendered, tuple):
        rendered = list(rendered)
    if not isinstance(rendered, list):
        raise ValueError(f"`values` must be a list, got {type(rendered).__name__}")
    keys: dict[str, None] = {}
    for item in rendered:
        if item is None:
            raise ValueError("`values` cannot contain null values")
        keys[iteration_key(item)] = None
    return list(keys)


def render_declared_outputs(
    engine: ExpressionEngine, declared: Sequence[FlowOutput], context: Mapping[str, Any]
) -> dict[str, Any]:
    """Declared ``outputs`` (of a flow, of a Loop), typed like inputs; ValueError names the output."""
    outputs: dict[str, Any] = {}
    for output in declared:
        try:
            value = engine.render_typed(output.value, context)
            if output.type is not None and value is not None:
                input_class = INPUT_CLASSES.get(output.type.value)
                if input_class is not None:
                    value = input_class.model_validate({"id": output.id, "type": output.type.value}).coerce(
                        value
                    )
        except Exception as error:
            raise ValueError(f"Invalid output for `{output.id}`, {error}") from None
        outputs[output.id] = value
    return outputs
