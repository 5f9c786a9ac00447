"""``io.kestra.plugin.serdes.*``: CSV, JSON, Avro, Parquet, Excel and XML to and from ION, streamed.

Registered through the ``kestra_stream.plugins`` entry point (``serdes = ...:register``); every task
reads and writes ION with :mod:`kestra_stream.ion`, the reader/writer of the storage tasks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestra_stream_plugins.serdes import avro, csv, excel, json, parquet, xml
from kestra_stream_plugins.serdes._base import SERDES

if TYPE_CHECKING:
    from kestra_stream.plugins.registry import PluginRegistry

__all__ = ["avro", "csv", "excel", "json", "parquet", "register", "xml"]


def register(registry: PluginRegistry) -> None:
    SERDES.register(registry)
