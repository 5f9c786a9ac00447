"""Which offset a group consumer may commit when records finish out of order."""

from __future__ import annotations

import threading
from collections import OrderedDict

from kestra_stream.queue._types import TopicRef


class AckTracker:
    """Per partition, the committable offset is the first record not yet acknowledged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: dict[tuple[TopicRef, int], OrderedDict[int, bool]] = {}
        self._next: dict[tuple[TopicRef, int], int] = {}
        self._committed: dict[tuple[TopicRef, int], int] = {}

    def received(self, topic: TopicRef, partition: int, offset: int) -> None:
        with self._lock:
            self._inflight.setdefault((topic, partition), OrderedDict())[offset] = False

    def ack(self, topic: TopicRef, partition: int, offset: int) -> None:
        with self._lock:
            pending = self._inflight.get((topic, partition))
            if pending is None or offset not in pending:
                return  # partition revoked meanwhile: someone else owns it now
            pending[offset] = True
            while pending:
                first, done = next(iter(pending.items()))
                if not done:
                    break
                pending.popitem(last=False)
                self._next[(topic, partition)] = first + 1

    def committable(self) -> dict[tuple[TopicRef, int], int]:
        """Offsets advanced since the last call."""
        with self._lock:
            changed = {tp: offset for tp, offset in self._next.items() if self._committed.get(tp) != offset}
            self._committed.update(changed)
            return changed

    def forget(self, partitions: set[tuple[TopicRef, int]]) -> None:
        with self._lock:
            for tp in partitions:
                self._inflight.pop(tp, None)
                self._next.pop(tp, None)
                self._committed.pop(tp, None)
