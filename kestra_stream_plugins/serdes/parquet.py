"""``io.kestra.plugin.serdes.parquet.IonToParquet`` / ``ParquetToIon`` (old names ``ParquetWriter`` /
``ParquetReader``): Arrow row groups written batch by batch, so memory stays bounded by a row group."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.serdes._avro import AvroConverterTask
from kestra_stream_plugins.serdes._base import (
    SerdesTask,
    kestra_type,
    rendered_enum,
    rendered_int,
    store,
    store_ion,
    temp_path,
)
from kestra_stream_plugins.serdes.csv import UriOutput

if TYPE_CHECKING:
    import pyarrow as pa

_BATCH_ROWS = 8192
# A row group is buffered in memory until written: bounded so that a worker stays well under 500 MB.
MAX_ROW_GROUP_BYTES = 32 * 1024 * 1024
_DEFAULT_ROW_GROUP_BYTES = 128 * 1024 * 1024


class CompressionCodec(StrEnum):
    UNCOMPRESSED = "UNCOMPRESSED"
    SNAPPY = "SNAPPY"
    GZIP = "GZIP"
    ZSTD = "ZSTD"


class Version(StrEnum):
    V1 = "V1"
    V2 = "V2"


@cache
def _primitives() -> dict[str, pa.DataType]:
    import pyarrow as pa

    return {
        "null": pa.null(),
        "boolean": pa.bool_(),
        "int": pa.int32(),
        "long": pa.int64(),
        "float": pa.float32(),
        "double": pa.float64(),
        "bytes": pa.binary(),
        "string": pa.string(),
    }


def arrow_type(schema: Any) -> pa.DataType:
    """The Parquet (Arrow) type parquet-avro gives an Avro schema node."""
    import pyarrow as pa  # imported when a conversion runs: plugin loading stays light

    if isinstance(schema, list):
        branches = [branch for branch in schema if branch != "null"]
        if len(branches) != 1:
            raise TaskFailure(f"Parquet cannot store the Avro union {schema}: use one type (and null)")
        return arrow_type(branches[0])
    if isinstance(schema, str):
        if schema not in _primitives():
            raise TaskFailure(f"unsupported Avro type `{schema}` for Parquet")
        return _primitives()[schema]
    logical, kind = schema.get("logicalType"), schema.get("type")
    logical_types = {
        "date": pa.date32(),
        "time-millis": pa.time32("ms"),
        "time-micros": pa.time64("us"),
        "timestamp-millis": pa.timestamp("ms", tz="UTC"),
        "timestamp-micros": pa.timestamp("us", tz="UTC"),
        "local-timestamp-millis": pa.timestamp("ms"),
        "local-timestamp-micros": pa.timestamp("us"),
        "uuid": pa.string(),
    }
    if logical == "decimal":
        return pa.decimal128(int(schema["precision"]), int(schema.get("scale", 0)))
    if logical in logical_types:
        return logical_types[logical]
    if kind == "record":
        return pa.struct(
            [pa.field(f["name"], arrow_type(f["type"]), _nullable(f["type"])) for f in schema["fields"]]
        )
    if kind == "array":
        return pa.list_(arrow_type(schema["items"]))
    if kind == "map":
        return pa.map_(pa.string(), arrow_type(schema["values"]))
    if kind == "enum":
        return pa.string()
    if kind == "fixed":
        return pa.binary(int(schema["size"]))
    return arrow_type(kind)


def _nullable(schema: Any) -> bool:
    return (isinstance(schema, list) and "null" in schema) or schema == "null"


def arrow_schema(schema: Mapping[str, Any]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [pa.field(f["name"], arrow_type(f["type"]), _nullable(f["type"])) for f in schema["fields"]]
    )


@kestra_type("io.kestra.plugin.serdes.parquet.IonToParquet", "io.kestra.plugin.serdes.parquet.ParquetWriter")
class IonToParquet(AvroConverterTask):
    """Convert an ION file to Parquet with the given (or an inferred) Avro schema."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    compression_codec: str = dynamic("GZIP")
    parquet_version: str = dynamic("V2")
    row_group_size: int | str | None = dynamic(None)
    page_size: int | str = dynamic(1024 * 1024)
    dictionary_page_size: int | str = dynamic(1024 * 1024)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        codec = rendered_enum(ctx, self.compression_codec, CompressionCodec, "compressionCodec")
        version = rendered_enum(ctx, self.parquet_version, Version, "parquetVersion")
        row_group_bytes = rendered_int(ctx, self.row_group_size, "rowGroupSize") or _DEFAULT_ROW_GROUP_BYTES
        if row_group_bytes > MAX_ROW_GROUP_BYTES:
            if self.row_group_size is not None:
                ctx.logger.warn(
                    f"rowGroupSize {row_group_bytes} is above what a worker buffers: "
                    f"row groups of {MAX_ROW_GROUP_BYTES} bytes are written"
                )
            row_group_bytes = MAX_ROW_GROUP_BYTES
        source = self.source(ctx, ".ion")
        schema = self.avro_schema(ctx, source)
        target_schema = arrow_schema(schema)
        target = temp_path(ctx, ".parquet")
        count = 0
        with pq.ParquetWriter(
            target,
            target_schema,
            compression="NONE" if codec is CompressionCodec.UNCOMPRESSED else str(codec),
            version="1.0" if version is Version.V1 else "2.6",
            data_page_size=rendered_int(ctx, self.page_size, "pageSize"),
            dictionary_pagesize_limit=rendered_int(ctx, self.dictionary_page_size, "dictionaryPageSize"),
            use_dictionary=True,
        ) as writer:
            pending: list[pa.RecordBatch] = []
            pending_bytes = 0
            for batch in self._batches(ctx, source, schema, target_schema):
                count += batch.num_rows
                pending.append(batch)
                pending_bytes += batch.nbytes
                if pending_bytes >= row_group_bytes:  # one row group of about rowGroupSize bytes
                    writer.write_table(pa.Table.from_batches(pending), row_group_size=None)
                    pending, pending_bytes = [], 0
            if pending:
                writer.write_table(pa.Table.from_batches(pending), row_group_size=None)
        return store(ctx, target, count)

    def _batches(
        self, ctx: RunContext, source: Any, schema: dict[str, Any], target: pa.Schema
    ) -> Iterator[pa.RecordBatch]:
        rows: list[dict[str, Any]] = []
        for record in self.records(ctx, source, schema):
            rows.append(record)
            if len(rows) == _BATCH_ROWS:
                yield self._batch(rows, target)
                rows = []
        if rows:
            yield self._batch(rows, target)

    @staticmethod
    def _batch(rows: list[dict[str, Any]], target: pa.Schema) -> pa.RecordBatch:
        import pyarrow as pa

        try:
            return pa.RecordBatch.from_pylist(rows, schema=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
            raise TaskFailure(f"a row does not fit the Parquet schema: {error}") from None


def _python(value: Any) -> Any:
    """Arrow's map values come back as (key, value) pairs: ION gets a struct."""
    if isinstance(value, list):
        if value and all(isinstance(item, tuple) and len(item) == 2 for item in value):
            return {str(key): _python(item) for key, item in value}
        return [_python(item) for item in value]
    if isinstance(value, dict):
        return {key: _python(item) for key, item in value.items()}
    return value


@kestra_type("io.kestra.plugin.serdes.parquet.ParquetToIon", "io.kestra.plugin.serdes.parquet.ParquetReader")
class ParquetToIon(SerdesTask):
    """Convert a Parquet file to ION, one struct per row, read one batch at a time."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        source = self.source(ctx, ".parquet")

        def rows() -> Iterator[Any]:
            try:
                parquet = pq.ParquetFile(source)
                for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
                    for row in batch.to_pylist():
                        yield _python(row)
            except (pa.ArrowInvalid, OSError) as error:
                raise TaskFailure(f"the `from` file is not a valid Parquet file: {error}") from None

        return store_ion(ctx, rows())
