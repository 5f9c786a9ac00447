"""Server tests run on both queue backends (fixtures shared with tests/queue)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queue"))

from queue_backends import kafka_prefix, make_queue

__all__ = ["kafka_prefix", "make_queue"]
