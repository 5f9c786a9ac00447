"""Tokenizer for the inside of Pebble delimiters (``{{ … }}``, ``{% … %}``) and bare expressions.

A real tokenizer (rather than regular expressions over whole templates) is what lets the
template scanner find the closing delimiter correctly: ``}}`` inside a string literal or inside a
nested map literal (``{{ {'a': {'b': 1}} }}``) does not close the expression, exactly like
Pebble's lexer, which tracks brackets and quotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kestra_stream.expressions.errors import ExpressionError

TokenKind = Literal["name", "int", "float", "string", "op"]

# Longest first so that ``???`` wins over ``??`` and ``..`` over ``.``.
_OPERATORS = (
    "???",
    "??",
    "..",
    "==",
    "!=",
    "<=",
    ">=",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "|",
    "?",
    "~",
    "+",
    "-",
    "*",
    "/",
    "%",
    "<",
    ">",
    "=",
)
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    value: str
    position: int
    # For double-quoted strings using ``#{expr}`` interpolation: literal text and token lists.
    parts: tuple[str | tuple[Token, ...], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class LexedExpression:
    tokens: tuple[Token, ...]
    end: int  # index just after the closing delimiter
    trim_right: bool  # the closing delimiter was ``-}}`` / ``-%}``


def _is_name_start(char: str) -> bool:
    return char.isalpha() or char == "_"


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class _Lexer:
    def __init__(self, source: str, position: int) -> None:
        self.source = source
        self.position = position

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"{message} (at character {self.position})")

    def lex(self, closer: str | None) -> LexedExpression:
        """Read tokens until ``closer`` at bracket depth 0 (or the end of input when None)."""
        source = self.source
        tokens: list[Token] = []
        expected_closers: list[str] = []
        while True:
            self._skip_whitespace()
            if self.position >= len(source):
                if closer is None and not expected_closers:
                    return LexedExpression(tuple(tokens), self.position, False)
                raise self.error(
                    f"unclosed expression, expected `{expected_closers[-1] if expected_closers else closer}`"
                )
            if closer is not None and not expected_closers:
                if source.startswith("-" + closer, self.position):
                    return LexedExpression(tuple(tokens), self.position + 1 + len(closer), True)
                if source.startswith(closer, self.position):
                    return LexedExpression(tuple(tokens), self.position + len(closer), False)
            char = source[self.position]
            if char in "'\"":
                tokens.append(self._string(char))
            elif char.isdigit():
                tokens.append(self._number())
            elif _is_name_start(char):
                start = self.position
                while self.position < len(source) and _is_name_char(source[self.position]):
                    self.position += 1
                tokens.append(Token("name", source[start : self.position], start))
            else:
                operator = next((op for op in _OPERATORS if source.startswith(op, self.position)), None)
                if operator is None:
                    raise self.error(f"unexpected character `{char}`")
                if operator in _OPENERS:
                    expected_closers.append(_OPENERS[operator])
                elif operator in (")", "]", "}"):
                    if not expected_closers or expected_closers[-1] != operator:
                        raise self.error(f"unexpected `{operator}`")
                    expected_closers.pop()
                tokens.append(Token("op", operator, self.position))
                self.position += len(operator)

    def _skip_whitespace(self) -> None:
        source = self.source
        while self.position < len(source) and source[self.position].isspace():
            self.position += 1

    def _number(self) -> Token:
        source = self.source
        start = self.position
        while self.position < len(source) and source[self.position].isdigit():
            self.position += 1
        kind: TokenKind = "int"
        # ``1..5`` is a range, so a dot only starts a fraction when a digit follows it.
        if (
            self.position + 1 < len(source)
            and source[self.position] == "."
            and source[self.position + 1].isdigit()
        ):
            kind = "float"
            self.position += 1
            while self.position < len(source) and source[self.position].isdigit():
                self.position += 1
        text = source[start : self.position]
        if self.position < len(source) and source[self.position] in "lL" and kind == "int":
            self.position += 1  # Java long suffix: ``10l``
        elif self.position < len(source) and source[self.position] in "dDfF":
            self.position += 1
            kind = "float"
        return Token(kind, text, start)

    def _string(self, quote: str) -> Token:
        source = self.source
        start = self.position
        self.position += 1
        parts: list[str | tuple[Token, ...]] = []
        buffer: list[str] = []
        while True:
            if self.position >= len(source):
                self.position = start
                raise self.error("unterminated string literal")
            char = source[self.position]
            if char == "\\" and self.position + 1 < len(source):
                escaped = source[self.position + 1]
                # Unknown escapes keep their backslash so regexes such as "\d+" survive.
                buffer.append(_SIMPLE_ESCAPES.get(escaped, "\\" + escaped))
                self.position += 2
            elif char == quote:
                self.position += 1
                break
            elif quote == '"' and source.startswith("#{", self.position):
                if buffer:
                    parts.append("".join(buffer))
                    buffer = []
                inner = _Lexer(source, self.position + 2).lex("}")
                if not inner.tokens:
                    raise self.error("empty string interpolation `#{}`")
                parts.append(inner.tokens)
                self.position = inner.end
            else:
                buffer.append(char)
                self.position += 1
        text = "".join(buffer)
        if any(not isinstance(part, str) for part in parts):
            if text:
                parts.append(text)
            return Token("string", "", start, tuple(parts))
        return Token("string", "".join(part for part in parts if isinstance(part, str)) + text, start)


def lex_delimited(source: str, position: int, closer: str) -> LexedExpression:
    """Tokenize from ``position`` up to the matching ``closer`` (``}}`` or ``%}``)."""
    return _Lexer(source, position).lex(closer)


def lex_expression(source: str) -> tuple[Token, ...]:
    """Tokenize a bare expression (no delimiters) to the end of ``source``."""
    return _Lexer(source, 0).lex(None).tokens
