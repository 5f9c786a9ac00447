"""What every serdes task shares: its ``from`` file, rendered options, the ION output and its metric."""

from __future__ import annotations

import codecs
import uuid
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from kestra_stream.ion import IonError, read_ion, write_ion
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.core.storage._common import fetch
from kestra_stream.runtime.errors import TaskFailure

_Enum = TypeVar("_Enum", bound=StrEnum)
_Task = TypeVar("_Task", bound=type[RunnableTask])
DECLARED: list[tuple[type[RunnableTask], str, tuple[str, ...]]] = []
"""Every task of the family with its Kestra type and aliases; ``register`` adds them to a registry."""
_TRUE = frozenset({"true"})
_FALSE = frozenset({"false"})


def kestra_type(type_name: str, *aliases: str) -> Callable[[_Task], _Task]:
    """Declare a task's Kestra type (registered by the entry point, not at import)."""

    def declare(cls: _Task) -> _Task:
        DECLARED.append((cls, type_name, aliases))
        return cls

    return declare


class OnBadLines(StrEnum):
    """What a reader does with a malformed line or record (Kestra's ``OnBadLines``)."""

    ERROR = "ERROR"
    WARN = "WARN"
    SKIP = "SKIP"


class SerdesTask(RunnableTask):
    """A conversion from the file at ``from`` (a ``kestra://`` URI) to a new internal-storage file."""

    from_: str = dynamic(alias="from")

    def source(self, ctx: RunContext, suffix: str = "") -> Path:
        uri = as_text(ctx.render(self.from_)).strip()
        if not uri:
            raise TaskFailure("`from` is required: the URI of the file to convert")
        return fetch(ctx, uri, temp_path(ctx, suffix))


def temp_path(ctx: RunContext, suffix: str) -> Path:
    return ctx.working_dir / f"{uuid.uuid4().hex}{suffix}"


def rendered_bool(ctx: RunContext, value: bool | str | None, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = as_text(ctx.render(value)).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise TaskFailure(f"`{name}` must be true or false, got `{text}`")


def rendered_int(ctx: RunContext, value: int | str | None, name: str) -> int | None:
    if value is None or isinstance(value, int):
        return value
    text = as_text(ctx.render(value)).strip()
    try:
        return int(text)
    except ValueError:
        raise TaskFailure(f"`{name}` must be an integer, got `{text}`") from None


def rendered_text(ctx: RunContext, value: str | None) -> str | None:
    return None if value is None else as_text(ctx.render(value))


def rendered_char(ctx: RunContext, value: str, name: str) -> str:
    text = as_text(ctx.render(value))
    if len(text) != 1:
        raise TaskFailure(f"`{name}` must be a single character, got `{text}`")
    return text


def rendered_enum(ctx: RunContext, value: str | None, kind: type[_Enum], name: str) -> _Enum | None:
    if value is None:
        return None
    text = as_text(ctx.render(value)).strip()
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise TaskFailure(f"`{name}` must be one of {allowed}, got `{text}`") from None


def rendered_charset(ctx: RunContext, value: str) -> str:
    """A Java charset name (``UTF-8``, ``ISO-8859-1``, ``windows-1252``) as a Python codec."""
    name = as_text(ctx.render(value)).strip()
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise TaskFailure(f"unsupported charset `{name}`") from None


def ion_values(path: Path) -> Iterator[Any]:
    """The values of an ION file, one at a time; a malformed file fails the task with the position."""
    with path.open("rb") as stream:
        try:
            yield from read_ion(stream)
        except IonError as error:
            raise TaskFailure(f"the `from` file is not valid ION: {error}") from None


def store_ion(ctx: RunContext, values: Iterable[Any]) -> dict[str, Any]:
    """Write ``values`` as ION to internal storage; outputs ``{uri}`` and the ``records`` metric."""
    path = temp_path(ctx, ".ion")
    with path.open("wb") as stream:
        count = write_ion(stream, values)
    return store(ctx, path, count)


def store(ctx: RunContext, path: Path, count: int) -> dict[str, Any]:
    ctx.metric("records", "counter", count)
    return {"uri": ctx.put_file(path)}


def decode_failure(error: UnicodeDecodeError, charset: str) -> TaskFailure:
    return TaskFailure(
        f"the `from` file is not valid {charset} (byte {error.start}: {error.reason}); set `charset`"
    )
