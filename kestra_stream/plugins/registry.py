"""Plugins by Kestra type name, old aliases included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from kestra_stream.plugins.base import Plugin

P = TypeVar("P", bound=type[Plugin])


class UnknownPluginError(LookupError):
    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


class PluginRegistry:
    def __init__(self) -> None:
        self._by_type: dict[str, type[Plugin]] = {}
        self._canonical: dict[str, str] = {}

    def add(self, cls: type[Plugin], type_name: str, *aliases: str) -> None:
        for name in (type_name, *aliases):
            self._by_type[name] = cls
            self._canonical[name] = type_name
        cls.plugin_type = type_name
        cls.plugin_aliases = aliases

    def resolve(self, type_name: str) -> type[Plugin]:
        try:
            return self._by_type[type_name]
        except KeyError:
            raise UnknownPluginError(type_name) from None

    def canonical(self, type_name: str) -> str:
        return self._canonical.get(type_name, type_name)

    def names(self) -> Iterator[str]:
        return iter(self._by_type)

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._by_type


registry = PluginRegistry()


def plugin(type_name: str, *aliases: str) -> Callable[[P], P]:
    """Class decorator registering a plugin in the default registry."""

    def decorate(cls: P) -> P:
        registry.add(cls, type_name, *aliases)
        return cls

    return decorate
