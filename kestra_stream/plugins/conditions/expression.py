"""A condition written as a Pebble expression (true unless it renders falsy)."""

from __future__ import annotations

from kestra_stream.plugins.base import Condition, dynamic
from kestra_stream.plugins.conditions._aliases import condition_type
from kestra_stream.plugins.registry import plugin


@plugin(*condition_type("Expression", "VariableCondition"))
class Expression(Condition):
    expression: str = dynamic()
