"""A plugin family's list of tasks and triggers, added to a registry by its entry point.

Declaring a type does not register it at import time (the ``@plugin`` decorator of the core does):
the family's ``register(registry)`` entry point adds its declared classes to the registry it is given,
as a third-party package's would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from kestra_stream.plugins.base import Plugin

if TYPE_CHECKING:
    from kestra_stream.plugins.registry import PluginRegistry

_P = TypeVar("_P", bound=type[Plugin])


class Family:
    def __init__(self) -> None:
        self._declared: list[tuple[type[Plugin], str, tuple[str, ...]]] = []

    def kestra_type(self, type_name: str, *aliases: str) -> Callable[[_P], _P]:
        """Declare a class under Kestra's type name (and the old names Kestra keeps as aliases)."""

        def declare(cls: _P) -> _P:
            self._declared.append((cls, type_name, aliases))
            return cls

        return declare

    def register(self, registry: PluginRegistry) -> None:
        for cls, type_name, aliases in self._declared:
            registry.add(cls, type_name, *aliases)
