"""Turn a Pebble expression tree into Jinja2 expression source.

Every sub-expression is parenthesised, so Jinja's own precedence never matters: the grouping is
the one decided by the Pebble parser. Operators whose semantics differ from Jinja's (``??``,
``~``, ``/``, ``contains``, ``is defined``, ``default``…) are emitted as *intrinsics*: filter
syntax ``(a)|__k_name((b))`` that the custom code generator (``_environment``) compiles into
direct calls on the environment, wrapping lazy operands in lambdas.
"""

from __future__ import annotations

from kestra_stream.expressions import _ast as ast
from kestra_stream.expressions._parser import RESERVED_PREFIX
from kestra_stream.expressions.errors import ExpressionError

_ARITHMETIC_INTRINSICS = {
    "+": "__k_add",
    "-": "__k_sub",
    "*": "__k_mul",
    "/": "__k_div",
    "%": "__k_mod",
    "~": "__k_concat",
    "..": "__k_range",
    "??": "__k_coalesce",
    "???": "__k_undefined_coalesce",
    "==": "__k_eq",
    "!=": "__k_ne",
    "contains": "__k_contains",
    "isIn": "__k_is_in",
    "notIn": "__k_not_in",
}
_PLAIN_COMPARISONS = frozenset({"<", ">", "<=", ">="})
# Pebble names that Jinja would read as keywords or constants.
_JINJA_RESERVED_NAMES = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "True", "False", "None", "for", "recursive"}
)


def jinja_string(value: str) -> str:
    """A Jinja string literal for ``value`` (``repr`` escapes are valid Jinja escapes)."""
    return repr(value)


def truth(source: str) -> str:
    return f"({source})|__k_truth"


class JinjaEmitter:
    def emit(self, node: ast.Node) -> str:
        method = getattr(self, f"_emit_{type(node).__name__}")
        result: str = method(node)
        return result

    def _emit_Literal(self, node: ast.Literal) -> str:
        value = node.value
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return jinja_string(value)
        return repr(value)

    def _emit_Name(self, node: ast.Name) -> str:
        if node.name == "_context":
            return "(none)|__k_context"
        if node.name in _JINJA_RESERVED_NAMES:
            return f"({jinja_string(node.name)})|__k_lookup"
        return node.name

    def _emit_Interpolation(self, node: ast.Interpolation) -> str:
        result = "''"
        for part in node.parts:
            result = f"({result})|__k_concat(({self.emit(part)}))"
        return result

    def _emit_ListLiteral(self, node: ast.ListLiteral) -> str:
        return "[" + ", ".join(self.emit(item) for item in node.items) + "]"

    def _emit_MapLiteral(self, node: ast.MapLiteral) -> str:
        entries = ", ".join(f"({self.emit(key)}): ({self.emit(value)})" for key, value in node.entries)
        return "{" + entries + "}"

    def _emit_Attribute(self, node: ast.Attribute) -> str:
        return f"({self.emit(node.target)}).{node.name}"

    def _emit_Subscript(self, node: ast.Subscript) -> str:
        return f"({self.emit(node.target)})[({self.emit(node.index)})]"

    def _arguments(self, arguments: ast.Arguments, leading: tuple[str, ...] = ()) -> str:
        parts = [*leading, *(f"({self.emit(argument)})" for argument in arguments.positional)]
        parts.extend(f"{name}=({self.emit(value)})" for name, value in arguments.named)
        return ", ".join(parts)

    def _emit_Call(self, node: ast.Call) -> str:
        return f"{self._emit_Name(ast.Name(node.name))}({self._arguments(node.arguments)})"

    def _emit_MethodCall(self, node: ast.MethodCall) -> str:
        arguments = self._arguments(node.arguments, leading=(jinja_string(node.name),))
        return f"({self.emit(node.target)})|__k_method({arguments})"

    def _emit_Unary(self, node: ast.Unary) -> str:
        operand = self.emit(node.operand)
        if node.operator == "not":
            return f"(not {truth(operand)})"
        if node.operator == "-":
            return f"({operand})|__k_neg"
        return f"({operand})|__k_pos"

    def _emit_Binary(self, node: ast.Binary) -> str:
        left, right = self.emit(node.left), self.emit(node.right)
        if node.operator == "and":
            return f"({truth(left)} and {truth(right)})"
        if node.operator == "or":
            return f"({truth(left)} or {truth(right)})"
        if node.operator in _PLAIN_COMPARISONS:
            return f"(({left}) {node.operator} ({right}))"
        return f"({left})|{_ARITHMETIC_INTRINSICS[node.operator]}(({right}))"

    def _emit_Filtered(self, node: ast.Filtered) -> str:
        name = node.filter.name
        if name.startswith(RESERVED_PREFIX):
            raise ExpressionError(f"the filter name `{name}` is reserved")
        target = self.emit(node.target)
        if name == "default":
            name = "__k_default"
        arguments = node.filter.arguments
        if not arguments.positional and not arguments.named:
            return f"({target})|{name}"
        return f"({target})|{name}({self._arguments(arguments)})"

    def _emit_Test(self, node: ast.Test) -> str:
        target = self.emit(node.target)
        if node.name == "defined":
            source = f"({target})|__k_defined"
            return f"(not {source})" if node.negated else source
        arguments = node.arguments
        call = f"({self._arguments(arguments)})" if arguments.positional or arguments.named else ""
        keyword = "is not" if node.negated else "is"
        return f"(({target}) {keyword} {node.name}{call})"

    def _emit_Conditional(self, node: ast.Conditional) -> str:
        condition = truth(self.emit(node.condition))
        return f"(({self.emit(node.when_true)}) if {condition} else ({self.emit(node.when_false)}))"


def emit_jinja(node: ast.Node) -> str:
    return JinjaEmitter().emit(node)
