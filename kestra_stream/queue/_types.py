"""What the engine needs from a queue: records, topics by catalog key, and the consumer shapes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

DEFAULT_MESSAGE_LIMIT = 1024 * 1024


class QueueError(RuntimeError):
    pass


class MessageTooLargeError(QueueError):
    def __init__(self, *, topic: str, size: int, limit: int) -> None:
        super().__init__(f"message of {size} bytes for `{topic}` exceeds the {limit} bytes limit")
        self.topic = topic
        self.size = size
        self.limit = limit


class TransactionAbortedError(QueueError):
    """The batch was not committed: nothing it produced is visible; its input will be read again."""


@dataclass(frozen=True, slots=True)
class TopicRef:
    """A topic of the catalog by key; ``worker_group`` selects ``worker-jobs-<group>``."""

    key: str
    worker_group: str | None = None

    def __str__(self) -> str:
        return self.key if self.worker_group is None else f"{self.key}[{self.worker_group}]"


TopicLike = str | TopicRef


def topic_ref(topic: TopicLike) -> TopicRef:
    return topic if isinstance(topic, TopicRef) else TopicRef(topic)


def worker_jobs_topic(worker_group: str | None) -> TopicRef:
    return TopicRef("worker-jobs", None if worker_group in (None, "", "default") else worker_group)


@dataclass(frozen=True, slots=True)
class Record:
    topic: TopicRef
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: float  # seconds since the epoch


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: TopicRef
    key: bytes | None
    value: bytes | None

    @property
    def size(self) -> int:
        return len(self.key or b"") + len(self.value or b"")


Partitions = frozenset[int]
PartitionsCallback = Callable[[Partitions], None]
DeliveryCallback = Callable[[Exception | None], None]
BroadcastStart = Literal["beginning", "end"] | float  # a float is a timestamp in seconds


class Producer(Protocol):
    """Thread-safe, non-transactional producer (workers, heartbeats, logs)."""

    def produce(
        self,
        topic: TopicLike,
        *,
        key: bytes | None,
        value: bytes | None,
        on_delivery: DeliveryCallback | None = None,
    ) -> None:
        """Raises :class:`MessageTooLargeError` before sending anything oversized."""
        ...

    def flush(self, timeout: float = 10.0) -> int:
        """Wait for deliveries; returns how many are still pending."""
        ...


class TransactionalConsumer(Protocol):
    """Consume-process-produce over co-partitioned topics, one transaction per batch.

    ``on_assign``/``on_revoke`` run inside :meth:`poll`, before any record of an assigned partition
    is returned (restore state there) and after the last committed batch of a revoked one.
    """

    def poll(self, max_records: int, timeout: float) -> list[Record]: ...

    def commit(self, outputs: Sequence[Outgoing]) -> None:
        """Atomically append ``outputs`` and commit the offsets of every record polled since the
        last commit. On failure nothing is visible, the consumer is rewound to the batch start and
        :class:`TransactionAbortedError` is raised."""
        ...

    def abort(self) -> None:
        """Drop the batch polled since the last commit: the next poll reads it again."""
        ...

    def assignment(self) -> Partitions: ...

    def close(self) -> None: ...


class GroupConsumer(Protocol):
    """Competing consumers of one topic; offsets advance only over acknowledged records."""

    def poll(self, max_records: int, timeout: float) -> list[Record]: ...

    def ack(self, record: Record) -> None:
        """Thread-safe: ``record`` is done; its offset is committed once all earlier ones are."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def assignment(self) -> Partitions: ...

    def close(self) -> None:
        """Commit what was acknowledged and leave the group; unacknowledged records go to others."""
        ...


class BroadcastReader(Protocol):
    """Reads every partition of a topic, outside any consumer group."""

    def poll(self, max_records: int, timeout: float) -> list[Record]: ...

    def at_end(self) -> bool:
        """Whether every partition was read up to its end as of the last poll."""
        ...

    def at_current_end(self, timeout: float) -> bool:
        """Whether every partition was read up to its end as it is *now* (Kafka: the high watermarks,
        asked from the brokers within ``timeout``; False when they do not answer in time)."""
        ...

    def close(self) -> None: ...


class Queue(Protocol):
    @property
    def message_limit(self) -> int: ...

    def partitions(self, topic: TopicLike) -> int: ...

    def producer(self) -> Producer:
        """The process-wide shared producer."""
        ...

    def transactional_consumer(
        self,
        *,
        topics: Sequence[TopicLike],
        group_id: str,
        transactional_id: str,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        group_instance_id: str | None = None,
    ) -> TransactionalConsumer:
        """``group_instance_id``: a stable name of this member (static membership): a restarted
        process that presents it again gets its partitions back at once, without a rebalance."""
        ...

    def group_consumer(
        self,
        *,
        topic: TopicLike,
        group_id: str,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        group_instance_id: str | None = None,
    ) -> GroupConsumer: ...

    def broadcast_reader(
        self, *, topic: TopicLike, start: BroadcastStart = "beginning"
    ) -> BroadcastReader: ...

    def read_partitions(self, topic: TopicLike, partitions: Iterable[int]) -> list[Record]:
        """Every committed record of these partitions, from the beginning to their current end
        (in order within a partition)."""
        ...

    def close(self) -> None: ...


def check_size(outgoing: Outgoing, limit: int) -> None:
    if outgoing.size > limit:
        raise MessageTooLargeError(topic=str(outgoing.topic), size=outgoing.size, limit=limit)
