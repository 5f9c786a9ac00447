"""The in-process queue: partitioned logs, consumer groups with the range assignor, atomic batches.

Semantics follow the Kafka backend: keys are partitioned with murmur2, a transaction appends its
outputs and commits its offsets under one lock (readers see all of it or none), a consumer group
spreads partitions over its members and fences a member that lost a partition from committing it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kestra_stream.queue._offsets import AckTracker
from kestra_stream.queue._partitioner import partition_for
from kestra_stream.queue._types import (
    DEFAULT_MESSAGE_LIMIT,
    BroadcastStart,
    DeliveryCallback,
    Outgoing,
    Partitions,
    PartitionsCallback,
    Record,
    TopicLike,
    TopicRef,
    TransactionAbortedError,
    check_size,
    topic_ref,
)

_NO_PARTITIONS: Partitions = frozenset()


@dataclass(frozen=True, kw_only=True)
class MemoryQueueOptions:
    partitions: int = 16
    message_limit: int = DEFAULT_MESSAGE_LIMIT


def range_assignment(partitions: int, members: int) -> list[Partitions]:
    """Kafka's range assignor for one topic: contiguous ranges, the first members get the extras."""
    base, extra = divmod(partitions, members)
    ranges: list[Partitions] = []
    start = 0
    for index in range(members):
        size = base + (1 if index < extra else 0)
        ranges.append(frozenset(range(start, start + size)))
        start += size
    return ranges


@dataclass(eq=False)
class _Member:
    id: int
    topics: tuple[TopicRef, ...]
    on_assign: PartitionsCallback | None
    on_revoke: PartitionsCallback | None
    assigned: Partitions = _NO_PARTITIONS
    generation: int = -1
    positions: dict[tuple[TopicRef, int], int] = field(default_factory=dict)


@dataclass(eq=False)
class _Group:
    topics: tuple[TopicRef, ...]
    members: list[_Member] = field(default_factory=list)
    generation: int = 0
    assignment: dict[int, Partitions] = field(default_factory=dict)
    committed: dict[tuple[TopicRef, int], int] = field(default_factory=dict)


class MemoryQueue:
    def __init__(self, *, options: MemoryQueueOptions | None = None) -> None:
        self._options = options or MemoryQueueOptions()
        self._cond = threading.Condition()
        self._logs: dict[TopicRef, list[list[Record]]] = {}
        self._groups: dict[str, _Group] = {}
        self._member_ids = itertools.count()
        self._producer = _MemoryProducer(self)

    @property
    def message_limit(self) -> int:
        return self._options.message_limit

    def partitions(self, topic: TopicLike) -> int:
        return self._options.partitions

    def producer(self) -> _MemoryProducer:
        return self._producer

    def transactional_consumer(
        self,
        *,
        topics: Sequence[TopicLike],
        group_id: str,
        transactional_id: str,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        group_instance_id: str | None = None,
    ) -> MemoryTransactionalConsumer:
        member = self._join(group_id, tuple(topic_ref(t) for t in topics), on_assign, on_revoke)
        return MemoryTransactionalConsumer(queue=self, group_id=group_id, member=member)

    def group_consumer(
        self,
        *,
        topic: TopicLike,
        group_id: str,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        group_instance_id: str | None = None,
    ) -> MemoryGroupConsumer:
        member = self._join(group_id, (topic_ref(topic),), on_assign, on_revoke)
        return MemoryGroupConsumer(queue=self, group_id=group_id, member=member)

    def broadcast_reader(
        self, *, topic: TopicLike, start: BroadcastStart = "beginning"
    ) -> MemoryBroadcastReader:
        return MemoryBroadcastReader(queue=self, topic=topic_ref(topic), start=start)

    def read_partitions(self, topic: TopicLike, partitions: Iterable[int]) -> list[Record]:
        with self._cond:
            log = self._log(topic_ref(topic))
            return [record for partition in sorted(partitions) for record in log[partition]]

    def close(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- internals shared with the consumers (all under self._cond) --

    def _log(self, topic: TopicRef) -> list[list[Record]]:
        log = self._logs.get(topic)
        if log is None:
            log = self._logs[topic] = [[] for _ in range(self.partitions(topic))]
        return log

    def _append(self, outputs: Iterable[Outgoing]) -> None:
        now = time.time()
        for out in outputs:
            log = self._log(out.topic)
            partition = partition_for(out.key, len(log))
            records = log[partition]
            records.append(Record(out.topic, partition, len(records), out.key, out.value, now))

    def _join(
        self,
        group_id: str,
        topics: tuple[TopicRef, ...],
        on_assign: PartitionsCallback | None,
        on_revoke: PartitionsCallback | None,
    ) -> _Member:
        with self._cond:
            group = self._groups.get(group_id)
            if group is None:
                group = self._groups[group_id] = _Group(topics=topics)
            elif group.topics != topics:
                raise ValueError(f"group `{group_id}` consumes {group.topics}, not {topics}")
            member = _Member(
                id=next(self._member_ids), topics=topics, on_assign=on_assign, on_revoke=on_revoke
            )
            group.members.append(member)
            self._rebalance(group)
            return member

    def _leave(self, group_id: str, member: _Member) -> None:
        with self._cond:
            group = self._groups[group_id]
            if member in group.members:
                group.members.remove(member)
                self._rebalance(group)

    def _rebalance(self, group: _Group) -> None:
        group.generation += 1
        count = self.partitions(group.topics[0])
        ranges = range_assignment(count, len(group.members)) if group.members else []
        group.assignment = {member.id: ranges[i] for i, member in enumerate(group.members)}
        self._cond.notify_all()

    def _sync(self, group_id: str, member: _Member) -> tuple[Partitions, Partitions]:
        """Apply a pending rebalance to ``member``: (revoked, added)."""
        group = self._groups[group_id]
        if member.generation == group.generation:
            return _NO_PARTITIONS, _NO_PARTITIONS
        member.generation = group.generation
        new = group.assignment.get(member.id, _NO_PARTITIONS)
        revoked, added = member.assigned - new, new - member.assigned
        member.assigned = new
        for topic in member.topics:
            for partition in revoked:
                member.positions.pop((topic, partition), None)
            for partition in added:
                member.positions[(topic, partition)] = group.committed.get((topic, partition), 0)
        return revoked, added

    def _fetch(self, member: _Member, max_records: int) -> list[Record]:
        records: list[Record] = []
        for (topic, partition), position in member.positions.items():
            if len(records) >= max_records:
                break
            log = self._log(topic)[partition]
            if position < len(log):
                chunk = log[position : position + max_records - len(records)]
                records.extend(chunk)
                member.positions[(topic, partition)] = position + len(chunk)
        return records


class _MemoryProducer:
    def __init__(self, queue: MemoryQueue) -> None:
        self._queue = queue

    def produce(
        self,
        topic: TopicLike,
        *,
        key: bytes | None,
        value: bytes | None,
        on_delivery: DeliveryCallback | None = None,
    ) -> None:
        out = Outgoing(topic_ref(topic), key, value)
        check_size(out, self._queue.message_limit)
        with self._queue._cond:
            self._queue._append((out,))
            self._queue._cond.notify_all()
        if on_delivery is not None:
            on_delivery(None)

    def flush(self, timeout: float = 10.0) -> int:
        return 0


class _MemberConsumer:
    def __init__(self, *, queue: MemoryQueue, group_id: str, member: _Member) -> None:
        self._queue = queue
        self._group_id = group_id
        self._member = member
        self._closed = False

    def assignment(self) -> Partitions:
        return self._member.assigned

    def _rebalance_callbacks(self, revoked: Partitions, added: Partitions) -> None:
        if revoked:
            self._revoked(revoked)
            if self._member.on_revoke is not None:
                self._member.on_revoke(revoked)
        if added and self._member.on_assign is not None:
            self._member.on_assign(added)

    def _revoked(self, partitions: Partitions) -> None:
        pass

    def _poll(self, max_records: int, timeout: float, *, paused: bool = False) -> list[Record]:
        deadline = time.monotonic() + timeout
        queue = self._queue
        while not self._closed:
            with queue._cond:
                revoked, added = queue._sync(self._group_id, self._member)
            if revoked or added:
                self._rebalance_callbacks(revoked, added)
                continue
            with queue._cond:
                if queue._groups[self._group_id].generation != self._member.generation:
                    continue
                records = [] if paused else queue._fetch(self._member, max_records)
                if records:
                    return records
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                queue._cond.wait(remaining)
        return []

    def _leave(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue._leave(self._group_id, self._member)


class MemoryTransactionalConsumer(_MemberConsumer):
    def __init__(self, *, queue: MemoryQueue, group_id: str, member: _Member) -> None:
        super().__init__(queue=queue, group_id=group_id, member=member)
        self._batch_start: dict[tuple[TopicRef, int], int] = {}

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        before = dict(self._member.positions)
        records = self._poll(max_records, timeout)
        for record in records:
            tp = (record.topic, record.partition)
            self._batch_start.setdefault(tp, before.get(tp, record.offset))
        return records

    def _revoked(self, partitions: Partitions) -> None:
        for tp in [tp for tp in self._batch_start if tp[1] in partitions]:
            del self._batch_start[tp]

    def commit(self, outputs: Sequence[Outgoing]) -> None:
        queue = self._queue
        for out in outputs:
            check_size(out, queue.message_limit)
        with queue._cond:
            group = queue._groups[self._group_id]
            owned = (
                group.assignment.get(self._member.id, _NO_PARTITIONS) if not self._closed else _NO_PARTITIONS
            )
            if any(partition not in owned for _, partition in self._batch_start):
                self._rewind()
                raise TransactionAbortedError("partitions of this batch were reassigned (fenced)")
            queue._append(outputs)
            for tp in self._batch_start:
                group.committed[tp] = self._member.positions.get(tp, group.committed.get(tp, 0))
            self._batch_start.clear()
            queue._cond.notify_all()

    def abort(self) -> None:
        with self._queue._cond:
            self._rewind()

    def _rewind(self) -> None:
        for tp, offset in self._batch_start.items():
            if tp in self._member.positions:
                self._member.positions[tp] = offset
        self._batch_start.clear()

    def close(self) -> None:
        self._leave()


class MemoryGroupConsumer(_MemberConsumer):
    def __init__(self, *, queue: MemoryQueue, group_id: str, member: _Member) -> None:
        super().__init__(queue=queue, group_id=group_id, member=member)
        self._acks = AckTracker()
        self._paused = False

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        self._commit_acked()
        records = self._poll(max_records, timeout, paused=self._paused)
        for record in records:
            self._acks.received(record.topic, record.partition, record.offset)
        return records

    def ack(self, record: Record) -> None:
        self._acks.ack(record.topic, record.partition, record.offset)

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        with self._queue._cond:
            self._queue._cond.notify_all()

    def _revoked(self, partitions: Partitions) -> None:
        self._commit_acked()
        self._acks.forget({(topic, partition) for topic in self._member.topics for partition in partitions})

    def _commit_acked(self) -> None:
        offsets = self._acks.committable()
        if not offsets:
            return
        with self._queue._cond:
            group = self._queue._groups[self._group_id]
            owned = group.assignment.get(self._member.id, _NO_PARTITIONS)
            for tp, offset in offsets.items():
                if tp[1] in owned:
                    group.committed[tp] = offset

    def close(self) -> None:
        if not self._closed:
            self._commit_acked()
            self._leave()


class MemoryBroadcastReader:
    def __init__(self, *, queue: MemoryQueue, topic: TopicRef, start: BroadcastStart) -> None:
        self._queue = queue
        self._topic = topic
        self._closed = False
        with queue._cond:
            log = queue._log(topic)
            if start == "beginning":
                self._positions = [0] * len(log)
            elif start == "end":
                self._positions = [len(records) for records in log]
            else:
                self._positions = [
                    next((r.offset for r in records if r.timestamp >= start), len(records)) for records in log
                ]

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        queue = self._queue
        deadline = time.monotonic() + timeout
        with queue._cond:
            while not self._closed:
                records: list[Record] = []
                for partition, records_of in enumerate(queue._log(self._topic)):
                    position = self._positions[partition]
                    if position < len(records_of) and len(records) < max_records:
                        chunk = records_of[position : position + max_records - len(records)]
                        records.extend(chunk)
                        self._positions[partition] = position + len(chunk)
                if records:
                    return records
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                queue._cond.wait(remaining)
        return []

    def at_end(self) -> bool:
        with self._queue._cond:
            log = self._queue._log(self._topic)
            return all(self._positions[p] >= len(records) for p, records in enumerate(log))

    def at_current_end(self, timeout: float) -> bool:
        return self.at_end()  # the log is in this process: the end as of the last poll is now's

    def close(self) -> None:
        self._closed = True
