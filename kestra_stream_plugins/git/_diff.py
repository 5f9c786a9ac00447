"""The sync and push tasks' diff output: one ION row per file or flow, stored in internal storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kestra_stream.ion import write_ion
from kestra_stream.plugins.context import RunContext


def store_diff(ctx: RunContext, name: str, rows: Sequence[Mapping[str, Any]]) -> str:
    path = ctx.working_dir / f"{name}.ion"
    with path.open("wb") as stream:
        write_ion(stream, rows)
    return ctx.put_file(path)
