"""``io.kestra.plugin.serdes.json.JsonToIon`` / ``IonToJson`` (old names ``JsonReader`` / ``JsonWriter``)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import orjson
from pydantic import BaseModel

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.serdes._base import (
    SerdesTask,
    decode_failure,
    ion_values,
    kestra_type,
    rendered_bool,
    rendered_charset,
    store,
    store_ion,
    temp_path,
)
from kestra_stream_plugins.serdes.csv import UriOutput

# orjson reads an integer beyond 64 bits as a float; Jackson keeps a BigInteger: such lines go to json.
_LONG_DIGITS = re.compile(r"\d{19}")


def _json_line(line: str, number: int) -> Any:
    try:
        if _LONG_DIGITS.search(line) is not None:
            return json.loads(line)
        return orjson.loads(line)
    except (orjson.JSONDecodeError, json.JSONDecodeError) as error:
        raise TaskFailure(f"invalid JSON at line {number}: {error}") from None


@kestra_type("io.kestra.plugin.serdes.json.JsonToIon", "io.kestra.plugin.serdes.json.JsonReader")
class JsonToIon(SerdesTask):
    """Convert JSON Lines (``newLine: true``, streamed) or one JSON document (read whole) to ION."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    charset: str = dynamic("UTF-8")
    new_line: bool | str = dynamic(True)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        charset = rendered_charset(ctx, self.charset)
        source = self.source(ctx, ".json")
        try:
            if rendered_bool(ctx, self.new_line, "newLine"):
                return store_ion(ctx, self._lines(source, charset))
            return store_ion(ctx, self._document(source, charset))
        except UnicodeDecodeError as error:
            raise decode_failure(error, charset) from None

    @staticmethod
    def _lines(source: Path, charset: str) -> Iterator[Any]:
        with source.open(encoding=charset) as stream:
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    yield _json_line(line, number)

    @staticmethod
    def _document(source: Path, charset: str) -> Iterator[Any]:
        try:
            document = json.loads(source.read_text(encoding=charset))
        except json.JSONDecodeError as error:
            raise TaskFailure(f"invalid JSON: {error}") from None
        if isinstance(document, list):
            yield from document
        else:
            yield document


def _fraction(microsecond: int) -> str:
    """``ISO_INSTANT``-style fraction: in groups of three digits, none for a whole second."""
    if not microsecond:
        return ""
    return "." + (f"{microsecond // 1000:03d}" if microsecond % 1000 == 0 else f"{microsecond:06d}")


def _offset(value: dt.datetime | dt.time) -> str:
    text = value.strftime("%z")
    return f"{text[:3]}:{text[3:5]}"


def _jackson(value: Any) -> Any:
    """Jackson's JavaTimeModule text for the values orjson does not write the same way."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    if isinstance(value, dt.datetime):
        clock = f"{value:%Y-%m-%dT%H:%M:%S}{_fraction(value.microsecond)}"
        offset = value.utcoffset()
        if offset is None:
            return clock
        return clock + ("Z" if not offset else _offset(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return f"{value:%H:%M:%S}{_fraction(value.microsecond)}" + (
            value.strftime("%z")[:3] + ":" + value.strftime("%z")[3:5]
            if value.utcoffset() is not None
            else ""
        )
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value, default=_jackson, option=orjson.OPT_PASSTHROUGH_DATETIME)


@kestra_type("io.kestra.plugin.serdes.json.IonToJson", "io.kestra.plugin.serdes.json.JsonWriter")
class IonToJson(SerdesTask):
    """Convert an ION file to JSON Lines (``newLine: true``) or to one JSON array."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    charset: str = dynamic("UTF-8")
    new_line: bool | str = dynamic(True)
    time_zone_id: str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        charset = rendered_charset(ctx, self.charset)
        lines = rendered_bool(ctx, self.new_line, "newLine")
        target = temp_path(ctx, ".jsonl" if lines else ".json")
        count = 0
        with target.open("w", encoding=charset) as out:
            if not lines:
                out.write("[")
            for value in ion_values(self.source(ctx, ".ion")):
                text = json_bytes(value).decode()
                if lines:
                    out.write(text + "\n")
                else:
                    out.write(("," if count else "") + text)
                count += 1
            if not lines:
                out.write("]")
        return store(ctx, target, count)
