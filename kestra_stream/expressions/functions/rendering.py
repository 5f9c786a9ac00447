"""``render``, ``renderOnce``, ``printContext``/``fetchContext`` and ``block``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from kestra_stream.expressions._environment import visible_variables
from kestra_stream.expressions._translate import block_identifier
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.functions._context import DEPTH_KEY, SERVICES_KEY, services

MAX_RENDER_ATTEMPTS = 100
MAX_NESTED_RENDERS = 20


def _render_in(context: Context, template: str) -> str:
    depth = int(context.get(DEPTH_KEY) or 0)
    if depth >= MAX_NESTED_RENDERS:
        raise ExpressionError("Too many rendering attempts (render() nested too deeply)")
    variables = visible_variables(context)
    variables[SERVICES_KEY] = services(context)
    variables[DEPTH_KEY] = depth + 1
    renderer: Callable[[str, dict[str, Any]], str] = context.environment.render_template  # type: ignore[attr-defined]
    return renderer(template, variables)


@pass_context
def render(context: Context, toRender: Any = None, recursive: bool = True) -> Any:
    """Render a string holding Pebble in the current context; repeat until stable if recursive."""
    if not isinstance(toRender, str):
        return toRender
    current = _render_in(context, toRender)
    if not recursive:
        return current
    for _ in range(MAX_RENDER_ATTEMPTS):
        if current == toRender or ("{{" not in current and "{%" not in current):
            return current
        toRender, current = current, _render_in(context, current)
    raise ExpressionError("Too many rendering attempts")


@pass_context
def render_once(context: Context, toRender: Any = None) -> Any:
    return render(context, toRender, recursive=False)


@pass_context
def print_context(context: Context) -> dict[str, Any]:
    return visible_variables(context)


@pass_context
def block(context: Context, name: str) -> str:
    identifier = block_identifier(name)
    stack = context.blocks.get(identifier)
    if not stack:
        raise ExpressionError(f"block `{name}` does not exist")
    return "".join(stack[0](context))


RENDERING_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "render": render,
    "renderOnce": render_once,
    "printContext": print_context,
    "fetchContext": print_context,
    "block": block,
}
