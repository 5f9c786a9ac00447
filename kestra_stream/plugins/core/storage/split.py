"""``storage.Split``: one file into several by size, row count or number of partitions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.core.storage._common import fetch, parse_data_size, temp_file
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure


def _rows(source: BinaryIO, separator: bytes) -> Iterator[bytes]:
    """Rows without their separator; a trailing separator does not make an empty last row."""
    pending = b""
    while chunk := source.read(1024 * 1024):
        pending += chunk
        *complete, pending = pending.split(separator)
        yield from complete
    if pending:
        yield pending


class _Parts:
    def __init__(self, ctx: RunContext, stem: str, suffix: str, separator: bytes) -> None:
        self._ctx, self._stem, self._suffix, self._separator = ctx, stem, suffix, separator
        self.paths: list[Path] = []
        self._handles: list[BinaryIO] = []
        self.sizes: list[int] = []

    def open_new(self) -> int:
        path = self._ctx.working_dir / f"{self._stem}-{len(self.paths)}{self._suffix}"
        self.paths.append(path)
        self._handles.append(path.open("wb"))
        self.sizes.append(0)
        return len(self.paths) - 1

    def write(self, index: int, row: bytes) -> None:
        data = row + self._separator
        self._handles[index].write(data)
        self.sizes[index] += len(data)

    def close(self) -> None:
        for handle in self._handles:
            handle.close()


@plugin("io.kestra.plugin.core.storage.Split", "io.kestra.core.tasks.storages.Split")
class Split(RunnableTask):
    from_: str = dynamic(alias="from")
    bytes_: str | None = dynamic(None, alias="bytes")
    partitions: int | None = dynamic(None)
    rows: int | None = dynamic(None)
    separator: str = "\n"

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        if self.bytes_ is None and self.partitions is None and self.rows is None:
            raise TaskFailure("Invalid configuration with no size, count, nor rows")
        source_uri = as_text(ctx.render(self.from_)).strip()
        name = source_uri.rsplit("/", 1)[-1]
        stem, dot, ext = name.rpartition(".")
        stem, suffix = (stem, dot + ext) if dot else (name, "")
        source = fetch(ctx, source_uri, temp_file(ctx, suffix))
        separator = self.separator.encode()
        parts = _Parts(ctx, stem or "split", suffix, separator)
        try:
            with source.open("rb") as stream:
                self._split(ctx, _rows(stream, separator), parts)
        finally:
            parts.close()
        uris = [ctx.put_file(path) for path, size in zip(parts.paths, parts.sizes, strict=True) if size]
        return {"uris": uris}

    def _split(self, ctx: RunContext, rows: Iterator[bytes], parts: _Parts) -> None:
        """Kestra's precedence when several are set: ``bytes``, then ``partitions``, then ``rows``."""
        if self.bytes_ is not None:
            limit = parse_data_size(as_text(ctx.render(self.bytes_)))
            current = -1
            for row in rows:
                if current < 0 or parts.sizes[current] >= limit:
                    current = parts.open_new()
                parts.write(current, row)
            return
        if self.partitions is not None:
            count = int(ctx.render(self.partitions))
            if count < 1:
                raise TaskFailure("`partitions` must be at least 1")
            for _ in range(count):
                parts.open_new()
            for index, row in enumerate(rows):
                parts.write(index % count, row)
            return
        if self.rows is not None:
            per_file = int(ctx.render(self.rows))
            if per_file < 1:
                raise TaskFailure("`rows` must be at least 1")
            for index, row in enumerate(rows):
                if index % per_file == 0:
                    current = parts.open_new()
                parts.write(current, row)
