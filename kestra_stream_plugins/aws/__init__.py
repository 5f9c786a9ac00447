"""``io.kestra.plugin.aws.s3.*``: objects of S3 (or an S3-compatible server through
``endpointOverride``) to and from internal storage, and the polling ``Trigger``.

Registered through the ``kestra_stream.plugins`` entry point (``aws = ...:register``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestra_stream_plugins.aws import s3
from kestra_stream_plugins.aws._connection import AWS

if TYPE_CHECKING:
    from kestra_stream.plugins.registry import PluginRegistry

__all__ = ["register", "s3"]


def register(registry: PluginRegistry) -> None:
    AWS.register(registry)
