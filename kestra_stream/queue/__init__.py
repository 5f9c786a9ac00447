"""The engine's queue: keyed records on catalog topics, transactional consume-process-produce,
consumer groups, broadcast and compacted readers; on Kafka or in memory with the same semantics."""

from kestra_stream.queue._compacted import CompactedView
from kestra_stream.queue._factory import queue_from_config
from kestra_stream.queue._kafka import KafkaQueue
from kestra_stream.queue._kafka_config import KafkaQueueOptions
from kestra_stream.queue._memory import MemoryQueue, MemoryQueueOptions, range_assignment
from kestra_stream.queue._partitioner import murmur2, partition_for
from kestra_stream.queue._types import (
    DEFAULT_MESSAGE_LIMIT,
    BroadcastReader,
    BroadcastStart,
    DeliveryCallback,
    GroupConsumer,
    MessageTooLargeError,
    Outgoing,
    Partitions,
    PartitionsCallback,
    Producer,
    Queue,
    QueueError,
    Record,
    TopicLike,
    TopicRef,
    TransactionAbortedError,
    TransactionalConsumer,
    check_size,
    topic_ref,
    worker_jobs_topic,
)

__all__ = [
    "DEFAULT_MESSAGE_LIMIT",
    "BroadcastReader",
    "BroadcastStart",
    "CompactedView",
    "DeliveryCallback",
    "GroupConsumer",
    "KafkaQueue",
    "KafkaQueueOptions",
    "MemoryQueue",
    "MemoryQueueOptions",
    "MessageTooLargeError",
    "Outgoing",
    "Partitions",
    "PartitionsCallback",
    "Producer",
    "Queue",
    "QueueError",
    "Record",
    "TopicLike",
    "TopicRef",
    "TransactionAbortedError",
    "TransactionalConsumer",
    "check_size",
    "murmur2",
    "partition_for",
    "queue_from_config",
    "range_assignment",
    "topic_ref",
    "worker_jobs_topic",
]
