"""Split a Pebble template into text, ``{{ print }}``, ``{% tag %}`` and raw segments.

Whitespace control (``{{-``, ``-}}``, ``{%-``, ``-%}``, ``{#-``, ``-#}``) is applied here, on the
text segments themselves, so the Jinja side never needs to know about it. Comments disappear.
``{% raw %}`` / ``{% verbatim %}`` bodies become literal text segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kestra_stream.expressions._lexer import Token, lex_delimited
from kestra_stream.expressions.errors import ExpressionError

_OPENING = re.compile(r"\{[{%#]")
_RAW_END = {
    "raw": re.compile(r"\{%(-?)\s*endraw\s*(-?)%\}"),
    "verbatim": re.compile(r"\{%(-?)\s*endverbatim\s*(-?)%\}"),
}
_COMMENT_END = re.compile(r"(-?)#\}")


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Print:
    tokens: tuple[Token, ...]
    source: str  # the expression between the delimiters, for messages


@dataclass(frozen=True, slots=True)
class Tag:
    tokens: tuple[Token, ...]
    source: str


Segment = Text | Print | Tag


class _SegmentList:
    """Accumulates segments while honouring pending whitespace trims."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.trim_next_text = False

    def add_text(self, text: str) -> None:
        if self.trim_next_text:
            text = text.lstrip()
            self.trim_next_text = False
        if text:
            self.segments.append(Text(text))

    def trim_previous_text(self) -> None:
        if self.segments and isinstance(self.segments[-1], Text):
            stripped = self.segments[-1].text.rstrip()
            if stripped:
                self.segments[-1] = Text(stripped)
            else:
                self.segments.pop()

    def add(self, segment: Segment, trim_left: bool, trim_right: bool) -> None:
        if trim_left:
            self.trim_previous_text()
        self.trim_next_text = False
        self.segments.append(segment)
        self.trim_next_text = trim_right


def scan(template: str) -> list[Segment]:
    segments = _SegmentList()
    position = 0
    while True:
        match = _OPENING.search(template, position)
        if match is None:
            segments.add_text(template[position:])
            return segments.segments
        segments.add_text(template[position : match.start()])
        kind = match.group()[1]
        body_start = match.end()
        trim_left = template.startswith("-", body_start)
        if trim_left:
            body_start += 1
        if kind == "#":
            end = _COMMENT_END.search(template, body_start)
            if end is None:
                raise ExpressionError("unclosed comment `{#`", template)
            if trim_left:
                segments.trim_previous_text()
            segments.trim_next_text = bool(end.group(1))
            position = end.end()
            continue
        closer = "}}" if kind == "{" else "%}"
        try:
            lexed = lex_delimited(template, body_start, closer)
        except ExpressionError as error:
            raise ExpressionError(error.reason, template) from None
        inner_end = lexed.end - len(closer) - (1 if lexed.trim_right else 0)
        source = template[body_start:inner_end].strip()
        if kind == "{":
            segments.add(Print(lexed.tokens, source), trim_left, lexed.trim_right)
            position = lexed.end
            continue
        first = lexed.tokens[0].value if lexed.tokens else ""
        if first in _RAW_END and len(lexed.tokens) == 1:
            end = _RAW_END[first].search(template, lexed.end)
            if end is None:
                raise ExpressionError(f"unclosed `{{% {first} %}}`", template)
            if trim_left:
                segments.trim_previous_text()
            segments.trim_next_text = lexed.trim_right
            body = template[lexed.end : end.start()]
            if end.group(1):
                body = body.rstrip()
            segments.add_text(body)
            segments.trim_next_text = bool(end.group(2))
            position = end.end()
            continue
        segments.add(Tag(lexed.tokens, source), trim_left, lexed.trim_right)
        position = lexed.end
