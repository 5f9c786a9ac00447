"""Structured-data filters: ``toJson``/``json``, ``toIon``, ``jq``, ``yaml``, ``indent``/``nindent``."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jq as jq_library  # type: ignore[import-not-found]
import orjson
import yaml as yaml_library

from kestra_stream import ion
from kestra_stream.expressions._values import to_json, to_text
from kestra_stream.expressions.errors import ExpressionError


def to_json_filter(value: Any) -> str:
    return to_json(value)


def to_ion(value: Any) -> str:
    return ion.dumps(value)


@lru_cache(maxsize=256)
def _compiled_jq(program: str) -> Any:
    try:
        return jq_library.compile(program)
    except ValueError as error:
        raise ExpressionError(f"invalid jq expression `{program}`: {error}") from None


def jq(value: Any, expression: str | None = None) -> list[Any] | None:
    """Apply a jq program; strings are parsed as JSON first; always a list of results."""
    if value is None:
        return None
    if expression is None:
        raise ExpressionError("the `jq` filter expects an argument 'expression'")
    document = value if isinstance(value, str) else to_json(value)
    try:
        return list(_compiled_jq(expression).input_text(document).all())
    except ValueError as error:
        raise ExpressionError(f"Failed to resolve JQ expression '{expression}': {error}") from None


def yaml(value: Any) -> Any:
    """A YAML string is parsed; any other value is serialised to YAML text."""
    if value is None:
        return "null"
    if isinstance(value, str):
        try:
            return yaml_library.safe_load(value)
        except yaml_library.YAMLError as error:
            raise ExpressionError(f"invalid YAML: {error}") from None
    plain = orjson.loads(to_json(value))  # dates and other values become their JSON forms
    dumped: str = yaml_library.safe_dump(plain, default_flow_style=False, sort_keys=False, allow_unicode=True)
    return dumped


def _line_separator(text: str) -> str:
    for separator in ("\r\n", "\n\r", "\n", "\r"):
        if separator in text:
            return separator
    return "\n"


def _amount(amount: Any, filter_name: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ExpressionError(
            f"The '{filter_name}' filter expects a positive integer >=0 as argument 'amount'."
        )
    return amount


def indent(value: Any, amount: Any = None, prefix: str = " ") -> str | None:
    """Indent every line but the first (the first is assumed already in place)."""
    if value is None:
        return None
    text = to_text(value)
    if not text:
        return text
    newline = _line_separator(text)
    return text.replace(newline, newline + prefix * _amount(amount, "indent"))


def nindent(value: Any, amount: Any = None, prefix: str = " ") -> str | None:
    """Start a new line, then indent every line."""
    if value is None:
        return None
    text = to_text(value)
    if not text:
        return text
    newline = _line_separator(text)
    return (newline + text).replace(newline, newline + prefix * _amount(amount, "nindent"))


STRUCTURED_FILTERS: dict[str, Callable[..., Any]] = {
    "toJson": to_json_filter,
    "json": to_json_filter,
    "jsonEncode": to_json_filter,
    "toIon": to_ion,
    "jq": jq,
    "yaml": yaml,
    "indent": indent,
    "nindent": nindent,
}
