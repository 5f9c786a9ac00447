"""YAML documents with the position of every node, so errors can point into the source.

Scalars are read as Kestra's YAML reader does (see :mod:`kestra_stream.yaml_loader`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kestra_stream.yaml_loader import KestraYamlLoader

PathSegment = str | int
Path = tuple[PathSegment, ...]


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    path: Path
    position: Position


@dataclass(slots=True)
class YamlDocument:
    data: Any
    start: Position
    positions: dict[Path, Position] = field(default_factory=dict)
    duplicates: list[DuplicateKey] = field(default_factory=list)

    def position_of(self, path: Path) -> Position:
        """Where ``path`` (or its closest existing ancestor) starts in the source, 1-based."""
        for length in range(len(path), -1, -1):
            position = self.positions.get(path[:length])
            if position is not None:
                return position
        return self.start


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, position: Position | None) -> None:
        super().__init__(message)
        self.position = position


def _position(node: Node, *, key: Node | None = None) -> Position:
    mark = (key or node).start_mark
    return Position(mark.line + 1, mark.column + 1)


def _index(node: Node, path: Path, document: YamlDocument) -> None:
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else str(key_node.value)
            child = (*path, name)
            if name in seen:
                document.duplicates.append(DuplicateKey(child, _position(key_node)))
            seen.add(name)
            document.positions.setdefault(child, _position(value_node, key=key_node))
            _index(value_node, child, document)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            document.positions.setdefault(child, _position(item))
            _index(item, child, document)


def load_documents(source: str) -> Iterator[YamlDocument]:
    """Every YAML document of ``source`` (``---`` separated); raises :class:`YamlSyntaxError`."""
    loader = KestraYamlLoader(source)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            document = YamlDocument(data=loader.construct_document(node), start=_position(node))
            document.positions[()] = document.start
            _index(node, (), document)
            yield document
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = Position(mark.line + 1, mark.column + 1) if mark is not None else None
        problem = " ".join(part for part in (error.context, error.problem) if part)
        raise YamlSyntaxError(f"Invalid YAML: {problem}", position) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(f"Invalid YAML: {error}", None) from None
    finally:
        loader.dispose()
