"""What every serdes task shares: its ``from`` file, rendered options, the ION output and its metric."""

from __future__ import annotations

import codecs
import uuid
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from kestra_stream.ion import IonError, read_ion, write_ion
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.core.storage._common import fetch
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins._family import Family
from kestra_stream_plugins._properties import (
    rendered_bool,
    rendered_char,
    rendered_enum,
    rendered_int,
    rendered_text,
)

__all__ = ["rendered_bool", "rendered_char", "rendered_enum", "rendered_int", "rendered_text"]

SERDES = Family()
kestra_type = SERDES.kestra_type


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
