"""Fixtures of the queue contract (helpers in queue_backends.py; no __init__.py: ``queue`` would
shadow the standard library module)."""

from queue_backends import kafka_prefix, make_queue

__all__ = ["kafka_prefix", "make_queue"]
