"""``storage.Reverse``, ``FilterItems`` and ``DeduplicateItems``: line-oriented internal storage files.

FilterItems and DeduplicateItems read one ION value per line (Kestra's item files) and render their
expression with the item's fields as variables; the lines they keep are written unchanged.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.ion import loads as ion_loads
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.core.storage._common import fetch, temp_file
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure


def _local_copy(ctx: RunContext, uri: object) -> tuple[Path, str]:
    text = as_text(ctx.render(uri)).strip()
    name = text.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return fetch(ctx, text, temp_file(ctx, suffix)), suffix


def _lines(path: Path) -> Iterator[str]:
    """Lines without their terminator (``\\n``, ``\\r\\n`` or ``\\r``), as Java's ``readLine``."""
    with path.open("r", encoding="utf-8", newline=None) as source:
        for line in source:
            yield line.rstrip("\n")


def _item(line: str) -> dict[str, Any]:
    try:
        value = ion_loads(line)
    except Exception as error:
        raise TaskFailure(f"Unable to read the item `{line[:200]}`: {error}") from error
    if not isinstance(value, dict):
        raise TaskFailure(f"The item `{line[:200]}` is not an object: each line must hold an ION struct")
    return value


@plugin("io.kestra.plugin.core.storage.Reverse", "io.kestra.core.tasks.storages.Reverse")
class Reverse(RunnableTask):
    from_: str = dynamic(alias="from")
    separator: str = dynamic("\n")
    charset: str = dynamic("UTF-8")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        source, suffix = _local_copy(ctx, self.from_)
        separator = as_text(ctx.render(self.separator))
        charset = as_text(ctx.render(self.charset))
        try:
            codecs.lookup(charset)
        except LookupError as error:
            raise TaskFailure(f"Unsupported charset `{charset}`") from error
        lines = source.read_text(encoding=charset).splitlines()
        target = temp_file(ctx, suffix)
        with target.open("w", encoding=charset, newline="") as output:
            for line in reversed(lines):
                output.write(line + separator)
        return {"uri": ctx.put_file(target)}


class FilterType(StrEnum):
    INCLUDE = "INCLUDE"
    EXCLUDE = "EXCLUDE"


class ErrorOrNullBehavior(StrEnum):
    FAIL = "FAIL"
    INCLUDE = "INCLUDE"
    EXCLUDE = "EXCLUDE"


@plugin("io.kestra.plugin.core.storage.FilterItems", "io.kestra.core.tasks.storages.FilterItems")
class FilterItems(RunnableTask):
    from_: str = dynamic(alias="from")
    filter_condition: str
    """Rendered per item (its fields as variables); the item matches when the result is truthy."""
    filter_type: FilterType = FilterType.INCLUDE
    error_or_null_behavior: ErrorOrNullBehavior = ErrorOrNullBehavior.FAIL

    def _match(self, ctx: RunContext, line: str) -> bool | None:
        """True/False, None when the expression fails or renders null (``errorOrNullBehavior``)."""
        try:
            rendered = ctx.render(self.filter_condition, _item(line))
        except TaskFailure:
            raise
        except Exception as error:
            if self.error_or_null_behavior is ErrorOrNullBehavior.FAIL:
                raise TaskFailure(
                    f"Unable to evaluate `{self.filter_condition}` on `{line}`: {error}"
                ) from error
            return None
        if rendered is None:
            if self.error_or_null_behavior is ErrorOrNullBehavior.FAIL:
                raise TaskFailure(f"Expression `{self.filter_condition}` return `null` on item `{line}`")
            return None
        return ExpressionEngine.is_truthy(as_text(rendered).strip())

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        source, _ = _local_copy(ctx, self.from_)
        target = temp_file(ctx, ".ion")
        processed = dropped = 0
        with target.open("w", encoding="utf-8") as output:
            for line in _lines(source):
                match = self._match(ctx, line)
                if match is None:
                    keep = self.error_or_null_behavior is ErrorOrNullBehavior.INCLUDE
                else:
                    keep = match == (self.filter_type is FilterType.INCLUDE)
                if keep:
                    output.write(line + "\n")
                else:
                    dropped += 1
                processed += 1
        return {"uri": ctx.put_file(target), "processedItemsTotal": processed, "droppedItemsTotal": dropped}


@plugin("io.kestra.plugin.core.storage.DeduplicateItems", "io.kestra.core.tasks.storages.DeduplicateItems")
class DeduplicateItems(RunnableTask):
    from_: str = dynamic(alias="from")
    expr: str
    """Rendered per item (its fields as variables): the deduplication key; the last item of a key wins."""

    def _key(self, ctx: RunContext, line: str) -> str:
        try:
            return as_text(ctx.render(self.expr, _item(line)))
        except TaskFailure:
            raise
        except Exception as error:
            raise TaskFailure(f"Unable to evaluate `{self.expr}` on `{line}`: {error}") from error

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        source, _ = _local_copy(ctx, self.from_)
        last: dict[str, int] = {}
        for offset, line in enumerate(_lines(source)):
            last[self._key(ctx, line)] = offset
        kept = set(last.values())
        target = temp_file(ctx, ".ion")
        processed = dropped = 0
        with target.open("w", encoding="utf-8") as output:
            for offset, line in enumerate(_lines(source)):
                if offset in kept:
                    output.write(line + "\n")
                else:
                    dropped += 1
                processed += 1
        return {
            "uri": ctx.put_file(target),
            "numKeys": len(last),
            "processedItemsTotal": processed,
            "droppedItemsTotal": dropped,
        }
