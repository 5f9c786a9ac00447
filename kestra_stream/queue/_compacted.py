"""A compacted topic as a dict: read whole at start, then followed (flows, service instances)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from kestra_stream.queue._types import Queue, Record, TopicLike

V = TypeVar("V")


class CompactedView(Generic[V]):
    """Latest value per key. ``decode`` returns None to ignore a record; a tombstone removes the key.

    Not thread-safe for writers: one thread calls :meth:`catch_up`/:meth:`update`; readers get a
    consistent snapshot through :meth:`snapshot` or single lookups.
    """

    def __init__(
        self,
        *,
        queue: Queue,
        topic: TopicLike,
        decode: Callable[[Record], V | None],
        on_change: Callable[[bytes, V | None], None] | None = None,
    ) -> None:
        self._reader = queue.broadcast_reader(topic=topic, start="beginning")
        self._decode = decode
        self._on_change = on_change
        self._values: dict[bytes, V] = {}
        self._lock = threading.Lock()

    def catch_up(self, timeout: float = 60.0) -> None:
        """Read until the end of every partition as of now.

        ``at_end`` only knows the last end-of-partition event, so it is confirmed against the high
        watermarks asked now: a record published since the last poll is read before this returns.
        """
        deadline = time.monotonic() + timeout
        while not (
            self._reader.at_end() and self._reader.at_current_end(max(0.0, deadline - time.monotonic()))
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("compacted topic not read to its end in time")
            self.update(0.05)

    def at_current_end(self, timeout: float) -> bool:
        """Every record published before this call was read (see ``BroadcastReader.at_current_end``)."""
        return self._reader.at_current_end(timeout)

    def update(self, timeout: float = 0.0) -> int:
        records = self._reader.poll(1000, timeout)
        for record in records:
            if record.key is None:
                continue
            value = None if record.value is None else self._decode(record)
            with self._lock:
                if value is None:
                    self._values.pop(record.key, None)
                else:
                    self._values[record.key] = value
            if self._on_change is not None:
                self._on_change(record.key, value)
        return len(records)

    def get(self, key: bytes) -> V | None:
        with self._lock:
            return self._values.get(key)

    def snapshot(self) -> dict[bytes, V]:
        with self._lock:
            return dict(self._values)

    def close(self) -> None:
        self._reader.close()
