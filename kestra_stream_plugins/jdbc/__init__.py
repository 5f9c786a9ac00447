"""Kestra's JDBC plugins (``io.kestra.plugin.jdbc.{sqlite,duckdb,postgresql}.*``).

Registered through the ``kestra_stream.plugins`` entry point (``jdbc = kestra_stream_plugins.jdbc:register``),
as a third-party plugin package is. See docs/plugins.md for properties, outputs and type mapping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kestra_stream.plugins.registry import PluginRegistry


def register(registry: PluginRegistry) -> None:
    from kestra_stream_plugins.jdbc import duckdb, postgresql, sqlite

    for module in (sqlite, duckdb, postgresql):
        for cls, type_name in module.PLUGINS:
            registry.add(cls, type_name)
