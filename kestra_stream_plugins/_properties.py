"""Dynamic properties of the families' tasks, rendered and checked: ``header: "{{ inputs.h }}"`` is a
boolean once rendered; a value that is not fails the task naming the property."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol, TypeVar

from kestra_stream.plugins.core._values import as_text
from kestra_stream.runtime.errors import TaskFailure

_Enum = TypeVar("_Enum", bound=StrEnum)
_TRUE = frozenset({"true"})


class Renders(Protocol):
    """A task's or a trigger's context: what renders a dynamic property."""

    def render(self, value: Any) -> Any: ...


_FALSE = frozenset({"false"})


def rendered_bool(ctx: Renders, value: bool | str | None, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = as_text(ctx.render(value)).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise TaskFailure(f"`{name}` must be true or false, got `{text}`")


def rendered_int(ctx: Renders, value: int | str | None, name: str) -> int | None:
    if value is None or isinstance(value, int):
        return value
    text = as_text(ctx.render(value)).strip()
    try:
        return int(text)
    except ValueError:
        raise TaskFailure(f"`{name}` must be an integer, got `{text}`") from None


def rendered_text(ctx: Renders, value: str | None) -> str | None:
    return None if value is None else as_text(ctx.render(value))


def rendered_char(ctx: Renders, value: str, name: str) -> str:
    text = as_text(ctx.render(value))
    if len(text) != 1:
        raise TaskFailure(f"`{name}` must be a single character, got `{text}`")
    return text


def rendered_enum(ctx: Renders, value: str | None, kind: type[_Enum], name: str) -> _Enum | None:
    if value is None:
        return None
    text = as_text(ctx.render(value)).strip()
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise TaskFailure(f"`{name}` must be one of {allowed}, got `{text}`") from None
