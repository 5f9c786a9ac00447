"""The public entry point: ``ExpressionEngine.render`` / ``render_typed`` / ``evaluate``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateSyntaxError, UndefinedError
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError

from kestra_stream.expressions import _java_time
from kestra_stream.expressions._emit import emit_jinja
from kestra_stream.expressions._environment import PebbleEnvironment, fail_if_undefined
from kestra_stream.expressions._parser import parse_expression
from kestra_stream.expressions._translate import TranslatedTemplate, translate
from kestra_stream.expressions._values import is_truthy as _is_truthy
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.filters import build_filters
from kestra_stream.expressions.functions import build_functions
from kestra_stream.expressions.functions._context import SERVICES_KEY
from kestra_stream.expressions.services import ExpressionServices, LazyServices, ServicesResolver
from kestra_stream.expressions.tests_ import TESTS
from kestra_stream.user_regex import RegexError

_DELIMITERS = ("{{", "{%", "{#")


def _has_pebble(text: str) -> bool:
    return "{" in text and any(delimiter in text for delimiter in _DELIMITERS)


def _as_expression_error(error: Exception, template: str) -> ExpressionError:
    if isinstance(error, ExpressionError):
        return error if error.template is not None else ExpressionError(error.reason, template)
    if isinstance(error, UndefinedError):
        return ExpressionError(str(error.message), template)
    if isinstance(error, TemplateSyntaxError):
        message = str(error.message or error)
        for kind in ("filter", "test"):
            prefix = f"No {kind} named "
            if message.startswith(prefix):
                message = f"unknown {kind} `{message[len(prefix) :].strip('.').strip(chr(39))}`"
        return ExpressionError(message, template)
    if isinstance(error, SecurityError):
        return ExpressionError(f"access denied: {error}", template)
    if isinstance(error, RegexError):
        return ExpressionError(str(error), template)
    if isinstance(error, RecursionError):
        return ExpressionError("Too many rendering attempts (recursion)", template)
    return ExpressionError(f"{type(error).__name__}: {error}", template)


class ExpressionEngine:
    """Renders Kestra (Pebble) templates with a sandboxed Jinja2 environment.

    ``services`` are the default runtime services (secrets, KV…); each call may pass its own.
    ``services_for`` derives them from each render's variables instead (a process rendering for many
    executions: ``kv()`` in the flow's namespace, ``read()`` of the execution's files…).
    ``time_zone`` is the server zone used by date filters without ``timeZone`` (default: ``TZ``
    or UTC). ``recursive_rendering`` restores Kestra's pre-0.14 behaviour (re-render outputs).
    """

    def __init__(
        self,
        *,
        services: ExpressionServices | None = None,
        services_for: ServicesResolver | None = None,
        time_zone: str | None = None,
        cache_size: int = 2048,
        recursive_rendering: bool = False,
    ) -> None:
        self.services = services or ExpressionServices()
        self.services_for = services_for
        self.recursive_rendering = recursive_rendering
        zone = (
            _java_time.zone(time_zone, _java_time.default_zone()) if time_zone else _java_time.default_zone()
        )
        self._environment = PebbleEnvironment(build_filters(zone), TESTS, build_functions(zone))
        self._functions = dict(self._environment.globals)
        self._environment.render_template = self._render_nested  # type: ignore[attr-defined]
        self._parse: Callable[[str], str] = lru_cache(maxsize=cache_size)(
            lambda expression: emit_jinja(parse_expression(expression))
        )
        self._translate: Callable[[str], TranslatedTemplate] = lru_cache(maxsize=cache_size)(translate)
        self._template: Callable[[str], Template] = lru_cache(maxsize=cache_size)(self._compile_template)
        self._expression: Callable[[str], Template] = lru_cache(maxsize=cache_size)(self._compile_expression)

    # -- compilation (cached by source) -----------------------------------------------------
    def _compile_template(self, template: str) -> Template:
        return self._environment.from_string(self._translate(template).jinja_source)

    def _compile_expression(self, jinja_expression: str) -> Template:
        expression: TemplateExpression = self._environment.compile_expression(
            jinja_expression, undefined_to_none=False
        )
        return expression._template  # rendered directly, see _evaluate_jinja

    def _variables(self, context: Mapping[str, Any], services: ExpressionServices | None) -> dict[str, Any]:
        # Functions are merged here once: Jinja's own merge walks a slow ChainMap on every render.
        variables = {**self._functions, **context}
        if services is not None:
            variables[SERVICES_KEY] = services
        elif self.services_for is not None:
            variables[SERVICES_KEY] = LazyServices(self.services_for, context)
        else:
            variables[SERVICES_KEY] = self.services
        return variables

    # -- rendering ----------------------------------------------------------------------------
    def _render_nested(self, template: str, variables: dict[str, Any]) -> str:
        """``render()`` inside a template: the caller's visible variables plus the functions."""
        return self._render_variables(template, {**self._functions, **variables})

    def _render_variables(self, template: str, variables: dict[str, Any]) -> str:
        if not _has_pebble(template):
            return template
        try:
            compiled = self._template(template)
            context = compiled.new_context(variables, shared=True)
            rendered = "".join(compiled.root_render_func(context))
        except Exception as error:
            raise _as_expression_error(error, template) from None
        if self.recursive_rendering and rendered != template and _has_pebble(rendered):
            return self._render_variables(rendered, variables)
        return rendered

    def render(
        self, template: str, context: Mapping[str, Any], *, services: ExpressionServices | None = None
    ) -> str:
        """Render a template to text. The output is never rendered again (Kestra ≥ 0.14)."""
        if not _has_pebble(template):
            return template
        return self._render_variables(template, self._variables(context, services))

    def _evaluate_jinja(self, jinja_expression: str, variables: dict[str, Any], source: str) -> Any:
        try:
            compiled = self._expression(jinja_expression)
            context = compiled.new_context(variables, shared=True)
            for _ in compiled.root_render_func(context):
                pass
            return fail_if_undefined(context.vars["result"])
        except Exception as error:
            raise _as_expression_error(error, source) from None

    def evaluate(
        self, expression: str, context: Mapping[str, Any], *, services: ExpressionServices | None = None
    ) -> Any:
        """Evaluate a bare expression (``outputs.task.value | upper``) to its native value."""
        try:
            jinja_expression = self._parse(expression)
        except ExpressionError as error:
            raise ExpressionError(error.reason, expression) from None
        return self._evaluate_jinja(jinja_expression, self._variables(context, services), expression)

    def render_typed(
        self, value: Any, context: Mapping[str, Any], *, services: ExpressionServices | None = None
    ) -> Any:
        """Render a dynamic property: strings, and strings nested in lists and maps (keys too).

        A string made of exactly one ``{{ expression }}`` keeps the expression's native type.
        """
        return self._render_typed(value, self._variables(context, services))

    def _render_typed(self, value: Any, variables: dict[str, Any]) -> Any:
        if isinstance(value, str):
            if not _has_pebble(value):
                return value
            try:
                translated = self._translate(value)
            except ExpressionError as error:
                raise _as_expression_error(error, value) from None
            if translated.single_expression is not None:
                return self._evaluate_jinja(translated.single_expression, variables, value)
            return self._render_variables(value, variables)
        if isinstance(value, Mapping):
            return {
                (self._render_variables(key, variables) if isinstance(key, str) else key): self._render_typed(
                    item, variables
                )
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._render_typed(item, variables) for item in value]
        return value

    @staticmethod
    def is_truthy(rendered: Any) -> bool:
        """Kestra's condition rule: false iff the printed value is "", "false", "0" or "-0"."""
        return _is_truthy(rendered)

    @staticmethod
    def now(time_zone: str | None = None) -> dt.datetime:
        return dt.datetime.now(_java_time.zone(time_zone, _java_time.default_zone()))
