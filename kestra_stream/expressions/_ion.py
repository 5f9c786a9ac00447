"""Amazon Ion *text* for ``toIon`` / ``fromIon``: the JSON-like subset Kestra stores in files.

Written by hand because the ``amazon-ion`` package drags numpy in; supported: null (typed nulls),
booleans, ints (``_``, hex, binary), decimals, floats, timestamps, strings (short and long),
symbols, lists, s-expressions, structs, blobs/clobs, annotations (dropped) and comments.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kestra_stream.expressions._values import format_datetime_iso, to_json
from kestra_stream.expressions.errors import ExpressionError

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_KEYWORDS = frozenset({"null", "true", "false", "nan"})


def _symbol(text: str) -> str:
    if _IDENTIFIER.fullmatch(text) and text not in _KEYWORDS:
        return text
    return "'" + to_json(text)[1:-1].replace("'", "\\'").replace('\\"', '"') + "'"


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    text = repr(value)
    return text if "e" in text else text + "e0"


def dumps(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Decimal):
        text = str(value)
        return text if any(char in text for char in ".eE") else text + "."
    if isinstance(value, str):
        return to_json(value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return format_datetime_iso(aware)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return "{{" + base64.b64encode(value).decode() + "}}"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_symbol(str(key))}:{dumps(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return to_json(str(value))


_TIMESTAMP = re.compile(
    r"\d{4}(?:T|-\d{2}(?:T|-\d{2}(?:T(?:\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?)"
)
_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9_]+(?:\.[0-9_]*)?(?:[eEdD][+-]?\d+)?)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"invalid Ion at character {self.position}: {message}")

    def skip(self) -> None:
        text = self.text
        while self.position < len(text):
            if text[self.position].isspace() or text[self.position] == ",":
                self.position += 1
            elif text.startswith("//", self.position):
                end = text.find("\n", self.position)
                self.position = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.position):
                end = text.find("*/", self.position)
                self.position = len(text) if end < 0 else end + 2
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.position] if self.position < len(self.text) else ""

    def quoted(self, quote: str) -> str:
        self.position += 1
        chars: list[str] = []
        text = self.text
        while self.position < len(text) and text[self.position] != quote:
            char = text[self.position]
            if char == "\\":
                escaped = text[self.position + 1]
                if escaped in "xuU":
                    size = {"x": 2, "u": 4, "U": 8}[escaped]
                    chars.append(chr(int(text[self.position + 2 : self.position + 2 + size], 16)))
                    self.position += 2 + size
                    continue
                chars.append(_ESCAPES.get(escaped, escaped))
                self.position += 2
                continue
            chars.append(char)
            self.position += 1
        if self.position >= len(text):
            raise self.error("unterminated string")
        self.position += 1
        return "".join(chars)

    def long_string(self) -> str:
        parts: list[str] = []
        while self.peek() == "'" and self.text.startswith("'''", self.position):
            end = self.text.find("'''", self.position + 3)
            if end < 0:
                raise self.error("unterminated long string")
            parts.append(
                _Reader('"' + self.text[self.position + 3 : end].replace('"', '\\"') + '"').quoted('"')
            )
            self.position = end + 3
        return "".join(parts)

    def value(self) -> Any:
        char = self.peek()
        if not char:
            raise self.error("unexpected end")
        if char == "{" and self.text.startswith("{{", self.position):
            return self.lob()
        if char == "{":
            return self.struct()
        if char in "[(":
            return self.sequence("]" if char == "[" else ")")
        if char == '"':
            return self.quoted('"')
        if char == "'":
            text = self.long_string() if self.text.startswith("'''", self.position) else self.quoted("'")
            return self.annotated(text)
        timestamp = _TIMESTAMP.match(self.text, self.position)
        if timestamp:
            self.position = timestamp.end()
            return _timestamp(timestamp.group())
        for literal, result in (("+inf", math.inf), ("-inf", -math.inf)):
            if self.text.startswith(literal, self.position):
                self.position += len(literal)
                return result
        number = _NUMBER.match(self.text, self.position)
        if number and number.group() not in ("+", "-"):
            self.position = number.end()
            return _number(number.group())
        identifier = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]*").match(self.text, self.position)
        if identifier:
            self.position = identifier.end()
            word = identifier.group()
            if word.startswith("null"):
                return None
            if word in ("true", "false"):
                return word == "true"
            if word == "nan":
                return math.nan
            return self.annotated(word)
        raise self.error(f"unexpected `{char}`")

    def annotated(self, symbol: str) -> Any:
        self.skip()
        if self.text.startswith("::", self.position):
            self.position += 2
            return self.value()
        return symbol

    def struct(self) -> dict[str, Any]:
        self.position += 1
        result: dict[str, Any] = {}
        while self.peek() != "}":
            char = self.peek()
            if char in "\"'":
                key = self.long_string() if self.text.startswith("'''", self.position) else self.quoted(char)
            else:
                match = _IDENTIFIER.match(self.text, self.position)
                if match is None:
                    raise self.error("expected a field name")
                key = match.group()
                self.position = match.end()
            if self.peek() != ":":
                raise self.error("expected `:`")
            self.position += 1
            result[key] = self.value()
        self.position += 1
        return result

    def sequence(self, closer: str) -> list[Any]:
        self.position += 1
        items: list[Any] = []
        while self.peek() != closer:
            if not self.peek():
                raise self.error(f"expected `{closer}`")
            items.append(self.value())
        self.position += 1
        return items

    def lob(self) -> str:
        end = self.text.find("}}", self.position)
        if end < 0:
            raise self.error("unterminated blob")
        body = self.text[self.position + 2 : end].strip()
        self.position = end + 2
        if body.startswith('"'):
            return _Reader(body).quoted('"')
        return base64.b64decode("".join(body.split())).decode(errors="replace")


def _timestamp(text: str) -> dt.datetime | dt.date:
    if "T" not in text or text.endswith("T"):
        parts = [int(part) for part in text.rstrip("T").split("-")] + [1, 1]
        return dt.date(parts[0], parts[1], parts[2])
    value = dt.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00"))
    return value


def _number(text: str) -> int | float | Decimal:
    cleaned = text.replace("_", "")
    lowered = cleaned.lower().lstrip("+-")
    sign = -1 if cleaned.startswith("-") else 1
    if lowered.startswith("0x"):
        return sign * int(lowered[2:], 16)
    if lowered.startswith("0b"):
        return sign * int(lowered[2:], 2)
    if "e" in lowered:
        return float(cleaned)
    if "d" in lowered or "." in lowered:
        return Decimal(cleaned.replace("d", "e").replace("D", "e"))
    return int(cleaned)


def loads(text: str) -> Any:
    reader = _Reader(text)
    values: list[Any] = []
    while reader.peek():
        value = reader.value()
        if value == "$ion_1_0" and not values:
            continue
        values.append(value)
    if not values:
        return None
    return values[0] if len(values) == 1 else values
