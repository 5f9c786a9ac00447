"""The internal task types of ``ForEachItem`` (kestra-features §3.1, §6.4).

A ForEachItem task run gets three children, run in sequence:

- ``<id>_split`` (:class:`ForEachItemSplit`, a worker job): splits ``items`` into batch files with the
  ``storage.Split`` logic, stored as ``.../batch-<i><ext>`` of that task run; outputs ``splits`` (URI of
  a file listing the batch URIs, one per line), ``numberOfBatches`` and ``batchUriTemplate`` (the batch
  URI with ``{iteration}`` in place of the index, so the executor never reads storage).
- ``<id>_items`` (:class:`ForEachItemExecutable`, run by the executor): one child execution per batch
  (``taskrun.items`` = batch URI, ``taskrun.iteration`` = batch index); outputs ``numberOfBatches`` and
  ``iterations`` (count of child executions per state).
- ``<id>_merge`` (:class:`ForEachItemMergeOutputs`, a worker job, only with ``wait: true``): writes the
  children's flow outputs, one JSON line per batch in batch order; output ``subflowOutputs`` (URI).

The worker runs the two jobs through the normal ``run_task`` path: importing this module registers
their types so a ``WorkerJob`` carrying them validates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from kestra_stream.ion import write_ion
from kestra_stream.plugins.base import RunnableTask, Task, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.core.storage._common import fetch, temp_file
from kestra_stream.plugins.core.storage.split import Split, _Parts, _rows
from kestra_stream.plugins.flow.subflows import Batch
from kestra_stream.plugins.registry import plugin

SPLIT_TYPE = "io.kestra.plugin.core.flow.ForEachItem$ForEachItemSplit"
ITEMS_TYPE = "io.kestra.plugin.core.flow.ForEachItem$ForEachItemExecutable"
MERGE_TYPE = "io.kestra.plugin.core.flow.ForEachItem$ForEachItemMergeOutputs"
ITERATION_PLACEHOLDER = "{iteration}"


@plugin(SPLIT_TYPE)
class ForEachItemSplit(RunnableTask):
    items: str = dynamic()
    batch: Batch = Field(default_factory=lambda: Batch(rows=1, bytes=None, partitions=None))

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        source_uri = as_text(ctx.render(self.items)).strip()
        name = source_uri.rsplit("/", 1)[-1]
        _, dot, ext = name.rpartition(".")
        suffix = "." + ext if dot else ""
        source = fetch(ctx, source_uri, temp_file(ctx, suffix))
        separator = self.batch.separator.encode()
        splitter = Split.model_validate(
            {
                "id": self.id,
                "type": "io.kestra.plugin.core.storage.Split",
                "from": source_uri,
                "rows": self.batch.rows,
                "bytes": self.batch.bytes,
                "partitions": self.batch.partitions,
                "separator": self.batch.separator,
            }
        )
        parts = _Parts(ctx, "part", suffix, separator)
        try:
            with source.open("rb") as stream:
                splitter._split(ctx, _rows(stream, separator), parts)
        finally:
            parts.close()
        uris = [
            ctx.put_file(path, f"batch-{index}{suffix}")
            for index, path in enumerate(
                path for path, size in zip(parts.paths, parts.sizes, strict=True) if size
            )
        ]
        listing = temp_file(ctx, ".txt")
        listing.write_text("".join(f"{uri}\n" for uri in uris))
        outputs: dict[str, Any] = {
            "splits": ctx.put_file(listing, "splits.txt"),
            "numberOfBatches": len(uris),
        }
        if uris:
            outputs["batchUriTemplate"] = (
                uris[0].rsplit("/", 1)[0] + f"/batch-{ITERATION_PLACEHOLDER}{suffix}"
            )
        return outputs


@plugin(ITEMS_TYPE)
class ForEachItemExecutable(Task):
    """Marker: the executor creates the child executions (no worker job)."""


@plugin(MERGE_TYPE)
class ForEachItemMergeOutputs(RunnableTask):
    subflow_outputs: list[dict[str, Any]] | None = None
    """Filled by the executor when it submits the job: each batch's child flow outputs, in batch order."""

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        path = temp_file(ctx, ".ion")
        with path.open("wb") as stream:
            write_ion(stream, self.subflow_outputs or ())
        return {"subflowOutputs": ctx.put_file(path, "subflow-outputs.ion")}


def foreach_item_parts(task_id: str, items: str, batch: Batch, *, wait: bool) -> list[Task]:
    """The ForEachItem's internal children, in order."""
    parts: list[Task] = [
        ForEachItemSplit(id=f"{task_id}_split", type=SPLIT_TYPE, items=items, batch=batch),
        ForEachItemExecutable(id=f"{task_id}_items", type=ITEMS_TYPE),
    ]
    if wait:
        parts.append(ForEachItemMergeOutputs(id=f"{task_id}_merge", type=MERGE_TYPE))
    return parts
