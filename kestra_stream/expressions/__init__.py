"""Kestra's expression language (Pebble syntax) rendered by a sandboxed Jinja2 environment.

Public API: :class:`ExpressionEngine` (``render``, ``render_typed``, ``evaluate``,
``is_truthy``), ``to_text`` (a value as Pebble prints it), :class:`ExpressionServices` for
secrets/KV/files, :class:`ExpressionError`.
Coverage of every operator, tag, test, filter and function: ``docs/expressions.md``.
"""

from kestra_stream.expressions._values import is_truthy, to_text
from kestra_stream.expressions.engine import ExpressionEngine
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.services import ExpressionServices, environment_secret

__all__ = [
    "ExpressionEngine",
    "ExpressionError",
    "ExpressionServices",
    "environment_secret",
    "is_truthy",
    "to_text",
]
