"""Kestra's file preview (``FileRenderBuilder``): the first rows of an execution's file, by extension.

``{extension, type, content, maxLine, truncated}`` where ``type`` is

* ``LIST`` for ``.ion``: ``content`` is the first ``maxLine`` values (one per line, as Kestra's
  ``FileSerde`` writes them), JSON-friendly;
* ``IMAGE`` for jpg/jpeg/png/svg/gif/bmp/webp: ``content`` is the whole file in base64;
* ``MARKDOWN`` for ``.md`` (read as UTF-8) and ``TEXT`` for anything else (CSV, JSONL, logs...):
  ``content`` is the first ``maxLine`` lines joined by ``\\n``, decoded with ``encoding``
  (undecodable bytes replaced), at most 2 MiB.

``truncated`` says that the file has more than what ``content`` holds.
"""

from __future__ import annotations

import base64
import codecs
import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from kestra_stream import ion
from kestra_stream.models.dates import format_instant
from kestra_stream.webserver.errors import invalid

IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "svg", "gif", "bmp", "webp"})
MAX_TEXT_BYTES = 2 * 1024 * 1024
CHUNK = 64 * 1024
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def extension_of(path: str) -> str:
    """``FilenameUtils.getExtension``: what follows the last dot of the file name, else ``""``."""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[1] if "." in name else ""


def checked_encoding(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise invalid(f"Unable to preview using encoding '{encoding}'") from None


def _lines(stream: IO[bytes], encoding: str) -> Iterator[str]:
    """Lines as Java's ``BufferedReader.readLine`` gives them (``\\n``, ``\\r`` or ``\\r\\n``)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    pending = ""
    while True:
        chunk = stream.read(CHUNK)
        final = not chunk
        pending += decoder.decode(chunk, final=final)
        held = ""
        if not final and pending.endswith("\r"):  # maybe the first half of "\r\n"
            pending, held = pending[:-1], "\r"
        parts = _LINE_BREAK.split(pending)
        pending = parts.pop() + held
        yield from parts
        if final:
            if pending:
                yield pending
            return


def _text(stream: IO[bytes], encoding: str, max_rows: int) -> tuple[str, bool]:
    lines: list[str] = []
    size = 0
    truncated = False
    for line in _lines(stream, encoding):
        if len(lines) == max_rows:
            truncated = True
            break
        lines.append(line)
        size += len(line.encode()) + 1
        if size > MAX_TEXT_BYTES:
            break
    content = "\n".join(lines)
    raw = content.encode()
    if len(raw) > MAX_TEXT_BYTES:
        content = raw[:MAX_TEXT_BYTES].decode(errors="ignore")
        truncated = True
    return content, truncated


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return format_instant(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _ion_rows(stream: IO[bytes], max_rows: int) -> tuple[list[Any], bool]:
    """The first ``max_rows`` values (Kestra writes one per line), streamed."""
    rows: list[Any] = []
    try:
        for value in ion.read_ion(stream, max_value_size=MAX_TEXT_BYTES):
            if len(rows) == max_rows:
                return rows, True
            rows.append(_jsonable(value))
    except ion.IonError:
        raise invalid("Unable to preview: not an ION file") from None
    return rows, False


def render(stream: IO[bytes], *, extension: str, encoding: str, max_rows: int) -> dict[str, Any]:
    """Kestra's ``FileRender`` of ``stream``."""
    content: Any
    if extension.lower() in IMAGE_EXTENSIONS:
        kind, content, truncated = "IMAGE", base64.b64encode(stream.read()).decode(), False
    elif extension == "ion":
        kind = "LIST"
        content, truncated = _ion_rows(stream, max_rows)
    elif extension == "md":
        kind = "MARKDOWN"
        content, truncated = _text(stream, "utf-8", max_rows)
    else:
        kind = "TEXT"
        content, truncated = _text(stream, encoding, max_rows)
    return {
        "extension": extension,
        "type": kind,
        "content": content,
        "maxLine": max_rows,
        "truncated": truncated,
    }
