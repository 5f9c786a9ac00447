"""The executor's state store: executions by partition, their timers in a heap, restore from the
changelog. Single-threaded (the processor loop)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime

import structlog

from kestra_stream.executor.state import ExecutorState
from kestra_stream.queue import Record

log = structlog.get_logger(__name__)


class StateStore:
    def __init__(self) -> None:
        self._states: dict[str, ExecutorState] = {}
        self._partition: dict[str, int] = {}
        self._by_partition: dict[int, set[str]] = {}
        self._timers: list[tuple[float, int, str]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._states)

    def get(self, execution_id: str) -> ExecutorState | None:
        return self._states.get(execution_id)

    def partition_of(self, execution_id: str) -> int | None:
        return self._partition.get(execution_id)

    def states(self) -> Iterator[tuple[str, ExecutorState]]:
        return iter(list(self._states.items()))

    def put(self, execution_id: str, partition: int, state: ExecutorState | None) -> None:
        if state is None:
            self._states.pop(execution_id, None)
            old = self._partition.pop(execution_id, None)
            if old is not None:
                self._by_partition.get(old, set()).discard(execution_id)
            return
        self._states[execution_id] = state
        self._partition[execution_id] = partition
        self._by_partition.setdefault(partition, set()).add(execution_id)
        due = state.next_due()
        if due is not None:
            heapq.heappush(self._timers, (due.timestamp(), next(self._seq), execution_id))

    def restore(self, records: Iterable[Record]) -> int:
        """Latest changelog value per execution, decoded once."""
        latest: dict[str, tuple[int, bytes | None]] = {}
        for record in records:
            if record.key is not None:
                latest[record.key.decode()] = (record.partition, record.value)
        restored = 0
        for execution_id, (partition, value) in latest.items():
            if value is None:
                self.put(execution_id, partition, None)
                continue
            try:
                state = ExecutorState.from_bytes(value)
            except Exception as error:  # a corrupt snapshot must not stop the restore
                log.error("executor.restore_undecodable", execution_id=execution_id, error=str(error))
                continue
            self.put(execution_id, partition, state)
            restored += 1
        return restored

    def drop_partitions(self, partitions: Iterable[int]) -> int:
        dropped = 0
        for partition in partitions:
            for execution_id in self._by_partition.pop(partition, set()):
                self._states.pop(execution_id, None)
                self._partition.pop(execution_id, None)
                dropped += 1
        return dropped

    def due(self, now: datetime) -> list[str]:
        """Executions with a timer due at ``now`` (each once; stale heap entries are skipped)."""
        limit = now.timestamp()
        found: list[str] = []
        seen: set[str] = set()
        while self._timers and self._timers[0][0] <= limit:
            _, _, execution_id = heapq.heappop(self._timers)
            state = self._states.get(execution_id)
            if execution_id in seen or state is None:
                continue
            next_due = state.next_due()
            if next_due is not None and next_due.timestamp() <= limit:
                seen.add(execution_id)
                found.append(execution_id)
        return found

    def next_due(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def reschedule(self, execution_id: str) -> None:
        """Put an execution's timer back after a rolled-back batch consumed it."""
        state = self._states.get(execution_id)
        due = state.next_due() if state is not None else None
        if due is not None:
            heapq.heappush(self._timers, (due.timestamp(), next(self._seq), execution_id))
