"""Pratt parser for Pebble expressions.

Precedences and associativity are Pebble's (``CoreExtension`` + Kestra's extension): a higher
number binds tighter, every binary operator is left-associative, and the ternary ``? :`` is the
loosest. Parsing into a tree first (instead of rewriting text) is what makes ``a ~ b | upper``
group as ``(a ~ b) | upper`` and ``x ?? y | date`` as ``(x ?? y) | date`` like Pebble does,
whereas Jinja would apply the filter to ``b``/``y`` only.
"""

from __future__ import annotations

from kestra_stream.expressions import _ast as ast
from kestra_stream.expressions._lexer import Token, lex_expression
from kestra_stream.expressions.errors import ExpressionError

UNARY_PRECEDENCE = 500
_BINARY_PRECEDENCE = {
    "or": 10,
    "and": 15,
    "is": 20,
    "contains": 20,
    "isIn": 20,
    "notIn": 20,
    "==": 30,
    "equals": 30,
    "!=": 30,
    "<": 30,
    ">": 30,
    "<=": 30,
    ">=": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "|": 100,
    "~": 110,
    "..": 120,
    "??": 120,
    "???": 120,
}
_WORD_OPERATORS = frozenset(op for op in _BINARY_PRECEDENCE if op.isalpha())
_LITERAL_NAMES: dict[str, object] = {"true": True, "false": False, "null": None, "none": None}
RESERVED_PREFIX = "__k_"


class ExpressionParser:
    def __init__(self, tokens: tuple[Token, ...], source: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.source = source

    # -- token helpers ---------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def at_op(self, value: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "op" and token.value == value

    def at_name(self, value: str | None = None, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "name" and (value is None or token.value == value)

    def advance(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of expression")
        self.index += 1
        return token

    def expect_op(self, value: str) -> Token:
        if not self.at_op(value):
            raise self.error(f"expected `{value}`")
        return self.advance()

    def expect_name(self) -> str:
        if not self.at_name():
            raise self.error("expected a name")
        return self.advance().value

    def error(self, message: str) -> ExpressionError:
        token = self.peek()
        where = f"near `{token.value}`" if token is not None else "at the end"
        return ExpressionError(f"syntax error in `{self.source.strip()}`: {message} {where}")

    def at_end(self) -> bool:
        return self.index >= len(self.tokens)

    # -- grammar ---------------------------------------------------------------------------
    def parse_all(self) -> ast.Node:
        if self.at_end():
            raise self.error("empty expression")
        node = self.expression()
        if not self.at_end():
            raise self.error("unexpected token")
        return node

    def expression(self, min_precedence: int = 0) -> ast.Node:
        left = self.unary()
        while True:
            operator = self._binary_operator()
            if operator is None:
                break
            precedence = _BINARY_PRECEDENCE[operator]
            if precedence < min_precedence:
                break
            self.advance()
            if operator == "|":
                left = ast.Filtered(left, self.filter_application())
            elif operator == "is":
                negated = self.at_name("not")
                if negated:
                    self.advance()
                name = self.expect_name()
                left = ast.Test(left, name, self.optional_arguments(), negated)
            else:
                right = self.expression(precedence + 1)
                left = ast.Binary("==" if operator == "equals" else operator, left, right)
        if min_precedence == 0 and self.at_op("?"):
            self.advance()
            when_true = self.expression()
            self.expect_op(":")
            when_false = self.expression()
            return ast.Conditional(left, when_true, when_false)
        return left

    def _binary_operator(self) -> str | None:
        token = self.peek()
        if token is None:
            return None
        if token.kind == "op" and token.value in _BINARY_PRECEDENCE:
            return token.value
        if token.kind == "name" and token.value in _WORD_OPERATORS:
            return token.value
        return None

    def unary(self) -> ast.Node:
        if self.at_name("not") or self.at_op("-") or self.at_op("+"):
            operator = self.advance().value
            operand = self.expression(UNARY_PRECEDENCE)
            return ast.Unary(operator, operand)
        return self.postfix(self.primary())

    def filter_application(self) -> ast.FilterApplication:
        name = self.expect_name()
        return ast.FilterApplication(name, self.optional_arguments())

    def optional_arguments(self) -> ast.Arguments:
        if self.at_op("("):
            return self.arguments()
        return ast.Arguments()

    def arguments(self) -> ast.Arguments:
        self.expect_op("(")
        positional: list[ast.Node] = []
        named: list[tuple[str, ast.Node]] = []
        while not self.at_op(")"):
            if self.at_name() and self.at_op("=", 1):
                name = self.advance().value
                self.advance()
                named.append((name, self.expression()))
            else:
                if named:
                    raise self.error("positional argument after a named one")
                positional.append(self.expression())
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(")")
        return ast.Arguments(tuple(positional), tuple(named))

    def primary(self) -> ast.Node:
        token = self.advance()
        if token.kind == "int":
            return ast.Literal(int(token.value))
        if token.kind == "float":
            return ast.Literal(float(token.value))
        if token.kind == "string":
            if not token.parts:
                return ast.Literal(token.value)
            return ast.Interpolation(tuple(self._interpolation_part(part) for part in token.parts))
        if token.kind == "name":
            if token.value in _LITERAL_NAMES:
                return ast.Literal(_LITERAL_NAMES[token.value])
            if token.value.startswith(RESERVED_PREFIX):
                raise ExpressionError(f"the name `{token.value}` is reserved")
            if self.at_op("("):
                return ast.Call(token.value, self.arguments())
            return ast.Name(token.value)
        if token.value == "(":
            inner = self.expression()
            self.expect_op(")")
            return inner
        if token.value == "[":
            items: list[ast.Node] = []
            while not self.at_op("]"):
                items.append(self.expression())
                if not self.at_op(","):
                    break
                self.advance()
            self.expect_op("]")
            return ast.ListLiteral(tuple(items))
        if token.value == "{":
            entries: list[tuple[ast.Node, ast.Node]] = []
            while not self.at_op("}"):
                key = self.expression()
                self.expect_op(":")
                entries.append((key, self.expression()))
                if not self.at_op(","):
                    break
                self.advance()
            self.expect_op("}")
            return ast.MapLiteral(tuple(entries))
        self.index -= 1
        raise self.error("unexpected token")

    def _interpolation_part(self, part: str | tuple[Token, ...]) -> ast.Node:
        if isinstance(part, str):
            return ast.Literal(part)
        return ExpressionParser(part, self.source).parse_all()

    def postfix(self, node: ast.Node) -> ast.Node:
        while True:
            if self.at_op("."):
                self.advance()
                token = self.advance()
                if token.kind == "int":
                    node = ast.Subscript(node, ast.Literal(int(token.value)))
                elif token.kind == "name":
                    if self.at_op("("):
                        node = ast.MethodCall(node, token.value, self.arguments())
                    else:
                        node = ast.Attribute(node, token.value)
                else:
                    self.index -= 1
                    raise self.error("expected an attribute name after `.`")
            elif self.at_op("["):
                self.advance()
                index = self.expression()
                self.expect_op("]")
                node = ast.Subscript(node, index)
            else:
                return node


def parse_expression(source: str) -> ast.Node:
    """Parse a bare Pebble expression such as ``outputs.task.value | upper``."""
    return ExpressionParser(lex_expression(source), source).parse_all()
