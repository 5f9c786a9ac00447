"""Syntax tree of a Pebble expression, produced by ``_parser`` and consumed by ``_emit``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Node:
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any  # str, int, float, bool or None


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Interpolation(Node):
    """A double-quoted string with ``#{expr}`` parts."""

    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLiteral(Node):
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Subscript(Node):
    target: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Arguments:
    positional: tuple[Node, ...] = ()
    named: tuple[tuple[str, Node], ...] = ()


@dataclass(frozen=True, slots=True)
class Call(Node):
    """``name(args)``: a function or a macro."""

    name: str
    arguments: Arguments


@dataclass(frozen=True, slots=True)
class MethodCall(Node):
    """``target.name(args)``: a Java-style method call."""

    target: Node
    name: str
    arguments: Arguments


@dataclass(frozen=True, slots=True)
class Unary(Node):
    operator: str  # "not", "-", "+"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class FilterApplication:
    name: str
    arguments: Arguments


@dataclass(frozen=True, slots=True)
class Filtered(Node):
    target: Node
    filter: FilterApplication


@dataclass(frozen=True, slots=True)
class Test(Node):
    target: Node
    name: str
    arguments: Arguments
    negated: bool


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    condition: Node
    when_true: Node
    when_false: Node
