"""``io.kestra.plugin.serdes.avro.IonToAvro`` / ``AvroToIon`` (old names ``AvroWriter`` / ``AvroReader``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import fastavro
from pydantic import BaseModel

from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.serdes._avro import AvroConverterTask
from kestra_stream_plugins.serdes._base import SerdesTask, kestra_type, store, store_ion, temp_path
from kestra_stream_plugins.serdes.csv import UriOutput


@kestra_type("io.kestra.plugin.serdes.avro.IonToAvro", "io.kestra.plugin.serdes.avro.AvroWriter")
class IonToAvro(AvroConverterTask):
    """Convert an ION file to an Avro container file with the given (or an inferred) schema."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        source = self.source(ctx, ".ion")
        schema = self.avro_schema(ctx, source)
        target = temp_path(ctx, ".avro")
        counted = _Counted(self.records(ctx, source, schema))
        with target.open("wb") as out:
            try:
                fastavro.writer(out, schema, counted, codec="null")
            except (ValueError, TypeError) as error:
                raise TaskFailure(f"a row does not fit the Avro schema: {error}") from None
        return store(ctx, target, counted.count)


class _Counted:
    def __init__(self, rows: Iterator[dict[str, Any]]) -> None:
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self._rows:
            self.count += 1
            yield row


@kestra_type("io.kestra.plugin.serdes.avro.AvroToIon", "io.kestra.plugin.serdes.avro.AvroReader")
class AvroToIon(SerdesTask):
    """Convert an Avro container file to ION, one struct per record (logical types kept)."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        source = self.source(ctx, ".avro")

        def records() -> Iterator[Any]:
            with source.open("rb") as stream:
                try:
                    yield from fastavro.reader(stream)
                except (ValueError, EOFError, fastavro.read.SchemaResolutionError) as error:
                    raise TaskFailure(f"the `from` file is not a valid Avro file: {error}") from None

        return store_ion(ctx, records())
