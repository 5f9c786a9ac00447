"""Translate a whole Pebble template into Jinja2 template source.

Design choice: source-to-source translation with our own tokenizer and Pratt parser, instead of
extending Jinja's lexer/parser. Jinja's lexer rejects ``?``, its parser has fixed precedences
(filters bind to the nearest primary) and its extension API cannot add infix operators, so a
faithful Pebble grammar needs its own parser anyway. Emitting fully parenthesised Jinja source
keeps the rest of Jinja (tags, scoping, macros, the sandbox, the compiler and its caching)
untouched, and the few operators Jinja lacks become *intrinsics* handled by a small code
generator subclass (see ``_environment``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kestra_stream.expressions import _ast as ast
from kestra_stream.expressions._emit import emit_jinja, jinja_string, truth
from kestra_stream.expressions._lexer import Token
from kestra_stream.expressions._parser import ExpressionParser
from kestra_stream.expressions._scanner import Print, Tag, Text, scan
from kestra_stream.expressions.errors import ExpressionError

_PASSTHROUGH_TAGS = {"else": "else", "endif": "endif", "endfor": "endfor", "endmacro": "endmacro"}
_IGNORED_TAGS = frozenset(
    {"autoescape", "endautoescape", "flush", "cache", "endcache", "parallel", "endparallel"}
)
_UNSUPPORTED_TAGS = frozenset({"extends", "include", "import", "from", "embed", "endembed"})
_UNSAFE_TEXT = re.compile(r"\{[{%#]|\{$|\r")
_BLOCK_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True, slots=True)
class TranslatedTemplate:
    jinja_source: str
    # Jinja source of the expression when the template is exactly one ``{{ … }}`` (typed rendering).
    single_expression: str | None


def _text(text: str) -> str:
    # Jinja would misread ``{`` right before a tag, raw bodies containing delimiters, and would
    # normalise ``\r\n``; such text goes through a string literal instead.
    if _UNSAFE_TEXT.search(text):
        return "{{ " + jinja_string(text) + " }}"
    return text


def block_identifier(name: str) -> str:
    """Pebble block names are strings; Jinja wants identifiers."""
    if name.isidentifier() and not name.startswith("_"):
        return name
    return "b_" + _BLOCK_NAME.sub(lambda match: f"_{ord(match.group()):x}_", name)


class _TagTranslator:
    def __init__(self, tag: Tag) -> None:
        self.tag = tag
        self.parser = ExpressionParser(tag.tokens[1:], tag.source)

    def rest_expression(self) -> str:
        node = self.parser.parse_all()
        return emit_jinja(node)

    def translate(self) -> str:
        name = self.tag.tokens[0].value
        if name in _PASSTHROUGH_TAGS:
            self._expect_end()
            return "{% " + _PASSTHROUGH_TAGS[name] + " %}"
        if name in _IGNORED_TAGS:
            return ""
        if name in _UNSUPPORTED_TAGS:
            raise ExpressionError(
                f"the `{name}` tag is not supported (templates cannot load other templates)"
            )
        handler = getattr(self, f"_tag_{name}", None)
        if handler is None:
            raise ExpressionError(f"unknown tag `{name}`")
        result: str = handler()
        return result

    def _expect_end(self) -> None:
        if not self.parser.at_end():
            raise self.parser.error("unexpected token")

    def _tag_if(self) -> str:
        return "{% if " + truth(self.rest_expression()) + " %}"

    def _tag_elseif(self) -> str:
        return "{% elif " + truth(self.rest_expression()) + " %}"

    _tag_elif = _tag_elseif

    def _tag_for(self) -> str:
        variable = self.parser.expect_name()
        if not self.parser.at_name("in"):
            raise self.parser.error("expected `in`")
        self.parser.advance()
        return "{% for " + variable + " in (" + self.rest_expression() + ")|__k_iter %}"

    def _tag_set(self) -> str:
        variable = self.parser.expect_name()
        self.parser.expect_op("=")
        return "{% set " + variable + " = " + self.rest_expression() + " %}"

    def _tag_filter(self) -> str:
        chain: list[str] = []
        while True:
            application = self.parser.filter_application()
            arguments = application.arguments
            rendered = emit_jinja(ast.Call(application.name, arguments))
            chain.append(rendered if arguments.positional or arguments.named else application.name)
            if not self.parser.at_op("|"):
                break
            self.parser.advance()
        self._expect_end()
        return "{% filter " + "|".join(chain) + " %}"

    def _tag_endfilter(self) -> str:
        return "{% endfilter %}"

    def _tag_macro(self) -> str:
        name = self.parser.expect_name()
        self.parser.expect_op("(")
        parameters: list[str] = []
        while not self.parser.at_op(")"):
            parameter = self.parser.expect_name()
            default = "none"  # Pebble passes null for omitted macro arguments
            if self.parser.at_op("="):
                self.parser.advance()
                default = emit_jinja(self.parser.expression())
            parameters.append(f"{parameter}={default}")
            if not self.parser.at_op(","):
                break
            self.parser.advance()
        self.parser.expect_op(")")
        self._expect_end()
        return "{% macro " + name + "(" + ", ".join(parameters) + ") %}"

    def _block_name(self) -> str:
        token = self.parser.advance()
        if token.kind not in ("name", "string"):
            raise self.parser.error("expected a block name")
        return block_identifier(token.value)

    def _tag_block(self) -> str:
        return "{% block " + self._block_name() + " %}"

    def _tag_endblock(self) -> str:
        return "{% endblock %}"


def translate(template: str) -> TranslatedTemplate:
    """Translate Pebble template source into Jinja source (raises ExpressionError)."""
    try:
        segments = scan(template)
        pieces: list[str] = []
        for segment in segments:
            if isinstance(segment, Text):
                pieces.append(_text(segment.text))
            elif isinstance(segment, Print):
                expression = _print_expression(segment.tokens, segment.source)
                pieces.append("{{ " + expression + " }}")
            elif isinstance(segment, Tag):
                if not segment.tokens or segment.tokens[0].kind != "name":
                    raise ExpressionError("a tag must start with its name")
                pieces.append(_TagTranslator(segment).translate())
    except ExpressionError as error:
        raise ExpressionError(error.reason, template) from None
    single = None
    meaningful = [
        segment for segment in segments if not (isinstance(segment, Text) and not segment.text.strip())
    ]
    if len(meaningful) == 1 and isinstance(meaningful[0], Print):
        single = _print_expression(meaningful[0].tokens, meaningful[0].source)
    return TranslatedTemplate("".join(pieces), single)


def _print_expression(tokens: tuple[Token, ...], source: str) -> str:
    return emit_jinja(ExpressionParser(tokens, source).parse_all())
