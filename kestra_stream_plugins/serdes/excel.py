"""``io.kestra.plugin.serdes.excel.ExcelToIon`` / ``IonToExcel`` (old names ``ExcelReader`` /
``ExcelWriter``) on openpyxl's read-only and write-only modes: a sheet streams row by row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar
from zipfile import BadZipFile

from pydantic import BaseModel

from kestra_stream.ion import write_ion
from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_map, as_text
from kestra_stream.plugins.core.storage._common import fetch
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.serdes._base import (
    SerdesTask,
    ion_values,
    kestra_type,
    rendered_bool,
    rendered_enum,
    rendered_int,
    store,
    temp_path,
)
from kestra_stream_plugins.serdes.csv import UriOutput


class ValueRender(StrEnum):
    FORMATTED_VALUE = "FORMATTED_VALUE"
    UNFORMATTED_VALUE = "UNFORMATTED_VALUE"
    FORMULA = "FORMULA"


class DateTimeRender(StrEnum):
    SERIAL_NUMBER = "SERIAL_NUMBER"
    FORMATTED_STRING = "FORMATTED_STRING"
    UNFORMATTED_VALUE = "UNFORMATTED_VALUE"


class SheetsOutput(BaseModel):
    uris: dict[str, str]
    size: int


@kestra_type("io.kestra.plugin.serdes.excel.ExcelToIon", "io.kestra.plugin.serdes.excel.ExcelReader")
class ExcelToIon(SerdesTask):
    """Convert the sheets of an ``.xlsx`` file to one ION file each (output ``uris.<sheet>``)."""

    outputs_model: ClassVar[type[BaseModel] | None] = SheetsOutput

    sheets_title: list[str] | str | None = dynamic(None)
    charset: str = dynamic("UTF-8")
    value_render: str = dynamic("UNFORMATTED_VALUE")
    date_time_render: str = dynamic("UNFORMATTED_VALUE")
    header: bool | str = dynamic(True)
    skip_empty_rows: bool | str = dynamic(False)
    skip_rows: int | str = dynamic(0)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        import openpyxl  # on use: plugin loading stays light

        render_value = rendered_enum(ctx, self.value_render, ValueRender, "valueRender")
        render_dates = rendered_enum(ctx, self.date_time_render, DateTimeRender, "dateTimeRender")
        header = rendered_bool(ctx, self.header, "header")
        skip_empty = rendered_bool(ctx, self.skip_empty_rows, "skipEmptyRows")
        skip_rows = rendered_int(ctx, self.skip_rows, "skipRows") or 0
        wanted = [as_text(title) for title in as_list(ctx.render(self.sheets_title))]
        source = self.source(ctx, ".xlsx")
        try:
            workbook = openpyxl.load_workbook(
                source, read_only=True, data_only=render_value is not ValueRender.FORMULA
            )
        except (BadZipFile, OSError, KeyError, ValueError) as error:
            raise TaskFailure(f"the `from` file is not an Excel (.xlsx) workbook: {error}") from None
        ctx.metric("sheets", "counter", len(workbook.sheetnames))
        uris: dict[str, str] = {}
        size = 0
        try:
            for sheet in workbook.worksheets:
                if wanted and sheet.title not in wanted:
                    continue
                rows = self._rows(sheet, skip_rows, bool(skip_empty), render_dates, bool(header))
                path = temp_path(ctx, ".ion")
                with path.open("wb") as out:
                    size += write_ion(out, rows)
                uris[sheet.title] = ctx.put_file(path)
        finally:
            workbook.close()
        return {"uris": uris, "size": size}

    @staticmethod
    def _rows(
        sheet: Any, skip_rows: int, skip_empty: bool, render_dates: DateTimeRender | None, header: bool
    ) -> Iterator[Any]:
        names: list[str] | None = None
        for index, cells in enumerate(sheet.iter_rows(values_only=True)):
            if index < skip_rows:
                continue
            values = [_cell(value, render_dates) for value in cells]
            if skip_empty and all(value is None for value in values):
                continue
            if header and names is None:
                names = ["null" if value is None else as_text(value) for value in values]
                continue
            if names is None:
                yield values
            else:
                yield {name: values[i] if i < len(values) else None for i, name in enumerate(names)}


def _cell(value: Any, render_dates: DateTimeRender | None) -> Any:
    """POI's values: numbers are doubles, dates as the render asks."""
    from openpyxl.utils.datetime import to_excel

    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        if render_dates is DateTimeRender.SERIAL_NUMBER:
            return float(to_excel(value))
        if render_dates is DateTimeRender.FORMATTED_STRING:
            return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return value
    return str(value)


@kestra_type("io.kestra.plugin.serdes.excel.IonToExcel", "io.kestra.plugin.serdes.excel.ExcelWriter")
class IonToExcel(SerdesTask):
    """Write ION files to an ``.xlsx`` workbook: ``from`` is one URI (sheet ``sheetsTitle``) or a map of
    sheet title to URI; numbers, booleans and dates stay typed cells."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    from_: Any = dynamic(alias="from")
    charset: str = dynamic("UTF-8")
    sheets_title: str = dynamic("Sheet")
    header: bool | str = dynamic(True)
    styles: bool | str = dynamic(True)

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "styles": "not implemented: cells get the workbook's default number and date formats",
    }

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        import openpyxl  # on use: plugin loading stays light

        rendered = ctx.render(self.from_)
        if isinstance(rendered, Mapping) or (isinstance(rendered, str) and rendered.strip().startswith("{")):
            sheets = {str(k): as_text(v) for k, v in as_map(rendered, "from").items()}
        else:
            sheets = {as_text(ctx.render(self.sheets_title)) or "Sheet": as_text(rendered).strip()}
        header = rendered_bool(ctx, self.header, "header")
        workbook = openpyxl.Workbook(write_only=True)
        count = 0
        for title, uri in sheets.items():
            sheet = workbook.create_sheet(title=title)
            source = fetch(ctx, uri, temp_path(ctx, ".ion"))
            count += self._write(sheet, source, bool(header))
        target = temp_path(ctx, ".xlsx")
        workbook.save(target)
        return store(ctx, target, count)

    @staticmethod
    def _write(sheet: Any, source: Path, header: bool) -> int:
        count = 0
        for row in ion_values(source):
            if isinstance(row, Mapping):
                if count == 0 and header:
                    sheet.append([str(key) for key in row])
                values = list(row.values())
            elif isinstance(row, list):
                values = row
            else:
                values = [row]
            sheet.append([_excel_value(value) for value in values])
            count += 1
        return count


def _excel_value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, dt.time) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, Mapping | list):
        return as_text(value)
    if isinstance(value, bytes):
        return value.hex()
    return value
