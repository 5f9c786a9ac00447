"""YAML read as Kestra's reader (Jackson) reads it, for flows and for every YAML value a user gives.

Two departures from PyYAML's safe defaults: dates stay strings (Jackson does not turn
``2024-04-12`` into a date; the model decides), and a mapping key is the text of its scalar
(Jackson's field names are strings: ``true:`` is ``"true"``, ``1:`` is ``"1"``, ``~:`` is ``"~"``),
so nothing read from YAML holds a map key that JSON cannot encode.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class KestraYamlLoader(yaml.SafeLoader):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                context, problem = "while constructing a mapping", "found a non-scalar key"
                raise ConstructorError(context, node.start_mark, problem, key_node.start_mark)
            mapping[key_node.value] = self.construct_object(value_node, deep=deep)
        return mapping


KestraYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    """One YAML document; raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=KestraYamlLoader)
