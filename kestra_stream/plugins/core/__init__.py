"""Kestra's core runnable tasks; importing this package registers them."""

from kestra_stream.plugins.core import debug, execution, http, kv, log, output, sleep, storage, templating

__all__ = ["debug", "execution", "http", "kv", "log", "output", "sleep", "storage", "templating"]
