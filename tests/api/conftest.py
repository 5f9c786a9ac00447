"""Fixtures of the API suite (implemented in api_backends.py)."""

from api_backends import api, kafka_server, memory_server, server_base, unique

__all__ = ["api", "kafka_server", "memory_server", "server_base", "unique"]
