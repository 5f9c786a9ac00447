"""Ion text to values, streamed: a file is read in chunks and yields one top-level value at a time.

Written by hand (the ``amazon-ion`` package drags numpy in); it reads the whole text format but
symbol tables and binary Ion: null and typed nulls, booleans, ints (``_``, hex, binary), decimals,
floats, timestamps, strings (short and long), symbols, lists, s-expressions, structs, blobs, clobs,
annotations (Kestra's ``LocalDateTime::"…"``-style type annotations give the typed value, others are
dropped) and comments.
"""

from __future__ import annotations

import base64
import codecs
import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import orjson

_CHUNK = 1024 * 1024
_BINARY_MARKER = b"\xe0\x01\x00\xea"

_SKIP = re.compile(r"(?:[\s,]+|//[^\n]*|/\*.*?\*/)*", re.S)
_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<long>'''(?:[^'\\]|\\.|'(?!''))*''')
    |(?P<symbol>'(?:[^'\\\n]|\\.)*')
    |(?P<lob>\{\{(?:[^}"]|"(?:[^"\\]|\\.)*"|\}(?!\}))*\}\})
    |(?P<punct>[{}\[\]()]|::|:)
    |(?P<timestamp>\d{4}(?:T|-\d{2}(?:T|-\d{2}(?:T(?:\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?))
    |(?P<number>-?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|\d[\d_]*(?:\.[\d_]*)?(?:[eEdD][+-]?\d+)?)|[+-]inf\b)
    |(?P<identifier>[A-Za-z_$][A-Za-z0-9_$]*(?:\.[a-z]+)?)
    |(?P<operator>[!#%&*+\-./;<=>?@^`|~]+)
    """,
    re.S | re.X,
)
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|\r?\n|(.))", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_EXTRA_DIGITS = re.compile(r"(\.\d{6})\d+")
# Kestra's lines are mostly JSON with bare field names: those are quoted and the line handed to orjson.
# Anything else Ion has (decimals, timestamps, annotations, symbols, blobs, comments...) makes orjson
# fail, and the line goes to the parser; only a decimal (``1.5``) would parse as JSON, so a line that may
# hold one skips the fast way.
_BARE_NAME = re.compile(r"(?<=[{,])([A-Za-z_$][A-Za-z0-9_$]*)(?=:(?!:))")
_MAYBE_DECIMAL = re.compile(r"[:\[,\s(]-?\d+\.")
_LEADING_DECIMAL = re.compile(r"\s*-?\d+\.")
_MISS = object()
_UNTERMINATED = ('"', "'", "{{", "/*")


class IonError(ValueError):
    """The text is not valid Ion (``position`` is the character offset in the file)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        super().__init__(message if position is None else f"invalid Ion at character {position}: {message}")


class _Incomplete(Exception):
    """The text ends inside a value: a streaming reader reads more and tries again."""


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2) or match.group(3)
        if code:
            return chr(int(code, 16))
        simple = match.group(4)
        if simple is None:  # an escaped line break joins the lines
            return ""
        return _SIMPLE_ESCAPES.get(simple, simple)

    return _ESCAPE.sub(replace, body)


def _long_string(token: str) -> str:
    return "".join(_unescape(part) for part in re.findall(r"'''((?:[^'\\]|\\.|'(?!''))*)'''", token, re.S))


def _timestamp(text: str) -> dt.date | dt.datetime:
    if "T" not in text or text.endswith("T"):
        parts = [int(part) for part in text.rstrip("T").split("-")] + [1, 1]
        return dt.date(parts[0], parts[1], parts[2])
    date_text, _, time_text = text.partition("T")
    if time_text.count(":") == 1 or (time_text[:5].count(":") == 1 and time_text[5:6] in "Z+-"):
        time_text = time_text[:5] + ":00" + time_text[5:]  # minute precision
    text = date_text + "T" + _EXTRA_DIGITS.sub(r"\1", time_text)  # Python keeps microseconds
    if text.endswith("-00:00"):  # unknown local offset: Kestra reads it as UTC
        text = text[:-6] + "Z"
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _number(text: str) -> int | float | Decimal:
    if text in ("+inf", "-inf"):
        return math.inf if text[0] == "+" else -math.inf
    cleaned = text.replace("_", "")
    lowered = cleaned.lower()
    negative = lowered.startswith("-")
    magnitude = lowered.lstrip("-")
    if magnitude.startswith("0x"):
        return -int(magnitude[2:], 16) if negative else int(magnitude[2:], 16)
    if magnitude.startswith("0b"):
        return -int(magnitude[2:], 2) if negative else int(magnitude[2:], 2)
    if "e" in magnitude:
        return float(cleaned)
    if "d" in magnitude or "." in magnitude:
        try:
            return Decimal(lowered.replace("d", "e"))
        except InvalidOperation as error:
            raise IonError(f"invalid decimal `{text}`") from error
    return int(cleaned)


def _zoned(text: str) -> dt.datetime:
    base, _, zone = text.partition("[")
    value = dt.datetime.fromisoformat(base)
    if zone.rstrip("]"):
        try:
            return value.astimezone(zoneinfo.ZoneInfo(zone.rstrip("]")))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return value
    return value


_JAVA_TYPES: dict[str, Callable[[str], Any]] = {
    "LocalDateTime": dt.datetime.fromisoformat,
    "LocalDate": dt.date.fromisoformat,
    "LocalTime": dt.time.fromisoformat,
    "OffsetTime": dt.time.fromisoformat,
    "OffsetDateTime": dt.datetime.fromisoformat,
    "ZonedDateTime": _zoned,
    "Instant": lambda text: dt.datetime.fromisoformat(text.replace("Z", "+00:00")),
}


class _Parser:
    """Recursive descent over one text; ``end_is_final`` tells whether more text may follow."""

    def __init__(self, text: str, *, end_is_final: bool, origin: int = 0) -> None:
        self.text = text
        self.position = 0
        self.end_is_final = end_is_final
        self.origin = origin  # offset of ``text`` in the whole stream, for error positions

    def error(self, message: str) -> IonError:
        return IonError(message, self.origin + self.position)

    def at_end(self) -> bool:
        self.position = _SKIP.match(self.text, self.position).end()  # type: ignore[union-attr]
        if self.position < len(self.text):
            if not self.end_is_final and self.text.startswith("/*", self.position):
                raise _Incomplete  # a comment that ends in the next chunk
            return False
        return True

    def token(self) -> tuple[str, str]:
        if self.at_end():
            if self.end_is_final:
                raise self.error("unexpected end of the text")
            raise _Incomplete
        match = _TOKEN.match(self.text, self.position)
        if match is None:
            if not self.end_is_final and self.text.startswith(_UNTERMINATED, self.position):
                raise _Incomplete
            raise self.error(f"unexpected `{self.text[self.position]}`")
        self.position = match.end()
        kind = match.lastgroup
        assert kind is not None
        return kind, match.group()

    def peek_annotation(self) -> bool:
        self.position = _SKIP.match(self.text, self.position).end()  # type: ignore[union-attr]
        if self.text.startswith("::", self.position):
            self.position += 2
            return True
        if not self.end_is_final and self.position >= len(self.text):
            raise _Incomplete
        return False

    def value(self) -> Any:
        kind, token = self.token()
        if kind == "string":
            return _unescape(token[1:-1])
        if kind == "identifier":
            if self.peek_annotation():
                return self.annotated(token)
            if token == "true":
                return True
            if token == "false":
                return False
            if token == "null" or token.startswith("null."):
                return None
            if token == "nan":
                return math.nan
            return token
        if kind == "symbol":
            text = _unescape(token[1:-1])
            return self.annotated(text) if self.peek_annotation() else text
        if kind == "number":
            return _number(token)
        if kind == "timestamp":
            try:
                return _timestamp(token)
            except ValueError as error:
                raise self.error(f"invalid timestamp `{token}`") from error
        if kind == "punct":
            if token == "{":
                return self.struct()
            if token == "[":
                return self.sequence("]")
            if token == "(":
                return self.sequence(")")
            raise self.error(f"unexpected `{token}`")
        if kind == "long":
            text = _long_string(token)
            while self.next_is_long_string():
                text += _long_string(self.token()[1])
            return text
        if kind == "lob":
            return self.lob(token)
        return token  # an s-expression operator

    def next_is_long_string(self) -> bool:
        if self.at_end():
            if not self.end_is_final:
                raise _Incomplete
            return False
        return self.text.startswith("'''", self.position)

    def annotated(self, annotation: str) -> Any:
        while True:  # several annotations: the first one names the Java type
            kind, token = self.token()
            if kind in ("identifier", "symbol") and self.peek_annotation():
                continue
            self.position -= len(token)
            break
        value = self.value()
        convert = _JAVA_TYPES.get(annotation)
        if convert is not None and isinstance(value, str):
            try:
                return convert(value)
            except ValueError as error:
                raise self.error(f"invalid {annotation} `{value}`") from error
        return value

    def struct(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while True:
            kind, token = self.token()
            if kind == "punct" and token == "}":
                return result
            if kind in ("string", "symbol"):
                key = _unescape(token[1:-1])
            elif kind == "long":
                key = _long_string(token)
            elif kind == "identifier":
                key = token
            else:
                raise self.error(f"expected a field name, got `{token}`")
            kind, token = self.token()
            if token != ":":
                raise self.error(f"expected `:` after the field name `{key}`")
            result[key] = self.value()

    def sequence(self, closer: str) -> list[Any]:
        items: list[Any] = []
        while True:
            if self.at_end():
                self.token()  # raises: unexpected end / incomplete
            if self.text.startswith(closer, self.position):
                self.position += 1
                return items
            items.append(self.value())

    def lob(self, token: str) -> bytes | str:
        body = token[2:-2].strip()
        if body.startswith(("'''", '"')):  # a clob: text
            return _long_string(body) if body.startswith("'''") else _unescape(body[1:-1])
        try:
            return base64.b64decode("".join(body.split()), validate=True)
        except ValueError as error:
            raise self.error("invalid base64 in a blob") from error

    def top_level(self) -> Iterator[Any]:
        """Each top-level value; system symbols (``$ion_1_0``) and symbol tables are skipped."""
        while not self.at_end():
            start = self.position
            try:
                value = self.top_value()
            except _Incomplete:
                self.position = start
                raise
            if value is not _SYSTEM:
                yield value

    def top_value(self) -> Any:
        kind, token = self.token()
        if kind == "identifier" and token.startswith("$ion"):
            if self.peek_annotation():  # ``$ion_symbol_table::{...}``
                self.value()
            return _SYSTEM
        self.position -= len(token)
        return self.value()


_SYSTEM = object()


def _json_line(line: str) -> Any:
    if _MAYBE_DECIMAL.search(line) is not None or _LEADING_DECIMAL.match(line) is not None:
        return _MISS
    try:  # split() alternates text and names: joining on `"` quotes every name
        return orjson.loads('"'.join(_BARE_NAME.split(line)))
    except orjson.JSONDecodeError:
        return _MISS


def loads(text: str) -> Any:
    """The value of ``text``: ``None`` for no value, a list when it holds several top-level values."""
    value = _json_line(text)
    if value is not _MISS:
        return value
    values = list(_Parser(text, end_is_final=True).top_level())
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def read_ion(stream: IO[bytes] | IO[str], *, max_value_size: int | None = None) -> Iterator[Any]:
    """Each top-level value of an Ion text stream (binary or text), reading it in chunks.

    ``max_value_size`` (characters) bounds what is buffered for one value that spans chunks, so a
    broken file (an unterminated string) fails instead of being read whole into memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    origin = 0
    first = True
    while True:
        chunk = stream.read(_CHUNK)
        if isinstance(chunk, bytes):
            if first and chunk.startswith(_BINARY_MARKER):
                raise IonError("binary Ion is not supported: Kestra's files are Ion text")
            text = decoder.decode(chunk, final=not chunk)
        else:
            text = chunk
        first = False
        final = not chunk
        pending += text
        if not final:
            cut = pending.rfind("\n") + 1  # parse whole lines; a value cut in two waits for the rest
            if cut == 0:
                continue
            complete, pending = pending[:cut], pending[cut:]
        else:
            complete, pending = pending, ""
        parser = _Parser(complete, end_is_final=final, origin=origin)
        position = 0
        try:
            while position < len(complete):
                newline = complete.find("\n", position)
                line_end = len(complete) if newline < 0 else newline
                value = _json_line(complete[position:line_end])
                if value is not _MISS:
                    yield value
                    position = line_end + 1
                    continue
                parser.position = position
                if parser.at_end():
                    break
                value = parser.top_value()
                position = parser.position
                if value is not _SYSTEM:
                    yield value
        except _Incomplete:
            pending = complete[position:] + pending
            origin += position
            if max_value_size is not None and len(pending) > max_value_size:
                raise IonError(f"a value longer than {max_value_size} characters", origin) from None
            continue
        origin += len(complete)
        if final:
            return
