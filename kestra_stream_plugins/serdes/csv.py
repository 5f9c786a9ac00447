"""``io.kestra.plugin.serdes.csv.CsvToIon`` / ``IonToCsv`` (old names ``CsvReader`` / ``CsvWriter``)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.serdes._base import (
    OnBadLines,
    SerdesTask,
    decode_failure,
    ion_values,
    kestra_type,
    rendered_bool,
    rendered_char,
    rendered_charset,
    rendered_enum,
    rendered_int,
    rendered_text,
    store,
    store_ion,
    temp_path,
)
from kestra_stream_plugins.serdes._text import TextWriterTask

_NULL = "\\N"  # Kestra reads this field as null
_DEFAULT_MAX = 16 * 1024 * 1024


class UriOutput(BaseModel):
    uri: str


@kestra_type("io.kestra.plugin.serdes.csv.CsvToIon", "io.kestra.plugin.serdes.csv.CsvReader")
class CsvToIon(SerdesTask):
    """Convert a CSV file to ION, one struct per row (keys from the header) or one list per row."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    header: bool | str = dynamic(True)
    field_separator: str = dynamic(",")
    text_delimiter: str = dynamic('"')
    skip_empty_rows: bool | str = dynamic(False)
    error_on_different_field_count: bool | str | None = dynamic(None)
    on_bad_lines: str | None = dynamic(None)
    skip_rows: int | str = dynamic(0)
    charset: str = dynamic("UTF-8")
    max_buffer_size: int | str = dynamic(_DEFAULT_MAX)
    allow_extra_chars_after_closing_quote: bool | str = dynamic(False)
    max_field_size: int | str = dynamic(_DEFAULT_MAX)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        if self.error_on_different_field_count is not None:
            ctx.logger.warn(
                "`errorOnDifferentFieldCount` is deprecated and has no effect (as in Kestra): "
                "`onBadLines` (ERROR, WARN or SKIP) decides what a line with another field count does"
            )
        charset = rendered_charset(ctx, self.charset)
        source = self.source(ctx, ".csv")
        limit = min(
            rendered_int(ctx, self.max_field_size, "maxFieldSize") or _DEFAULT_MAX,
            rendered_int(ctx, self.max_buffer_size, "maxBufferSize") or _DEFAULT_MAX,
        )
        csv.field_size_limit(max(limit, 1))  # process-wide: each CsvToIon sets its own before reading
        with source.open(encoding=charset, newline="") as stream:
            try:
                return store_ion(ctx, self._rows(ctx, stream))
            except UnicodeDecodeError as error:
                raise decode_failure(error, charset) from None

    def _rows(self, ctx: RunContext, stream: Any) -> Iterator[Any]:
        header = rendered_bool(ctx, self.header, "header")
        skip_rows = rendered_int(ctx, self.skip_rows, "skipRows") or 0
        skip_empty = rendered_bool(ctx, self.skip_empty_rows, "skipEmptyRows")
        on_bad = rendered_enum(ctx, self.on_bad_lines, OnBadLines, "onBadLines") or OnBadLines.ERROR
        reader = csv.reader(
            stream,
            delimiter=rendered_char(ctx, self.field_separator, "fieldSeparator"),
            quotechar=rendered_char(ctx, self.text_delimiter, "textDelimiter"),
            strict=not rendered_bool(
                ctx, self.allow_extra_chars_after_closing_quote, "allowExtraCharsAfterClosingQuote"
            ),
            doublequote=True,
        )
        names: list[str] | None = None
        skipped = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                self._bad_line(ctx, on_bad, f"Bad line encountered at line {reader.line_num}: {error}")
                continue
            if not record and skip_empty:
                continue
            if header and names is None:
                names = record
                continue
            if skipped < skip_rows:
                skipped += 1
                continue
            values = [None if field == _NULL else field for field in record]
            if names is None:
                yield values
            elif len(values) != len(names):
                self._bad_line(
                    ctx,
                    on_bad,
                    f"Bad line encountered (field count mismatch) at line {reader.line_num}: "
                    f"Expected {len(names)}, got {len(values)} fields.",
                )
            else:
                yield dict(zip(names, values, strict=True))

    @staticmethod
    def _bad_line(ctx: RunContext, on_bad: OnBadLines, message: str) -> None:
        if on_bad is OnBadLines.ERROR:
            raise TaskFailure(message)
        if on_bad is OnBadLines.WARN:
            ctx.logger.warn(message + " (skipped)")


class QuoteMode(StrEnum):
    ALWAYS = "ALWAYS"
    REQUIRED = "REQUIRED"
    NON_NUMERIC = "NON_NUMERIC"


def _numeric(value: str) -> bool:
    """Kestra's NON_NUMERIC test: an optional sign, digits and at most one decimal point."""
    body = value[1:] if value[:1] in "+-" else value
    return bool(body) and body.count(".") <= 1 and body.replace(".", "").isdigit() and body.isascii()


@kestra_type("io.kestra.plugin.serdes.csv.IonToCsv", "io.kestra.plugin.serdes.csv.CsvWriter")
class IonToCsv(TextWriterTask):
    """Convert an ION file to CSV: a header from the first struct's keys, then one line per value."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    header: bool | str = dynamic(True)
    field_separator: str = dynamic(",")
    text_delimiter: str = dynamic('"')
    line_delimiter: str = dynamic("\n")
    always_delimit_text: bool | str = dynamic(False)
    quote_mode: str | None = dynamic(None)
    charset: str = dynamic("UTF-8")

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        formats = self.text_formats(ctx)
        charset = rendered_charset(ctx, self.charset)
        header = rendered_bool(ctx, self.header, "header")
        separator = rendered_char(ctx, self.field_separator, "fieldSeparator")
        quote = rendered_char(ctx, self.text_delimiter, "textDelimiter")
        newline = rendered_text(ctx, self.line_delimiter) or "\n"
        mode = rendered_enum(ctx, self.quote_mode, QuoteMode, "quoteMode")
        if mode is None:
            always = rendered_bool(ctx, self.always_delimit_text, "alwaysDelimitText")
            mode = QuoteMode.ALWAYS if always else QuoteMode.REQUIRED
        special = (separator, quote, "\r", "\n")

        def field(value: Any) -> str:
            text = formats.text(value)
            if text is None:
                return '""' if mode is QuoteMode.ALWAYS else ""
            if (
                mode is QuoteMode.ALWAYS
                or (mode is QuoteMode.NON_NUMERIC and not _numeric(text))
                or any(char in text for char in special)
            ):
                return quote + text.replace(quote, quote + quote) + quote
            return text

        target = temp_path(ctx, ".csv")
        count = 0
        with target.open("w", encoding=charset, newline="") as out:
            for row in ion_values(self.source(ctx, ".ion")):
                count += 1
                if isinstance(row, list):
                    if header:
                        raise TaskFailure("Invalid data of type List with header")
                    out.write(separator.join(map(field, row)) + newline)
                elif isinstance(row, Mapping):
                    if count == 1 and header:
                        out.write(separator.join(field(str(key)) for key in row) + newline)
                    out.write(separator.join(map(field, row.values())) + newline)
        return store(ctx, target, count)
