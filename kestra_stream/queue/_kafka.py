"""The queue on Kafka (confluent-kafka): shared producer, transactional consume-process-produce,
consumer groups with acknowledgements, broadcast readers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import structlog
from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from kestra_stream.queue._kafka_config import KafkaQueueOptions
from kestra_stream.queue._offsets import AckTracker
from kestra_stream.queue._types import (
    BroadcastStart,
    DeliveryCallback,
    Outgoing,
    Partitions,
    PartitionsCallback,
    QueueError,
    Record,
    TopicLike,
    TopicRef,
    TransactionAbortedError,
    check_size,
    topic_ref,
)

log = structlog.get_logger(__name__)


class KafkaQueue:
    def __init__(self, *, options: KafkaQueueOptions) -> None:
        self._options = options
        self._names: dict[TopicRef, str] = {}
        self._refs: dict[str, TopicRef] = {}
        self._partition_counts: dict[TopicRef, int] = {}
        self._lock = threading.Lock()
        self._producer: KafkaProducer | None = None

    @property
    def options(self) -> KafkaQueueOptions:
        return self._options

    @property
    def message_limit(self) -> int:
        return self._options.message_limit

    def name(self, topic: TopicLike) -> str:
        ref = topic_ref(topic)
        name = self._names.get(ref)
        if name is None:
            try:
                name = self._options.catalog.topic(ref.key, worker_group=ref.worker_group).name
            except KeyError:
                if ref.key != "worker-jobs" or ref.worker_group is None:
                    raise
                name = f"{self._options.catalog.prefix}worker-jobs-{ref.worker_group}"
                self._ensure_worker_group_topic(name)
            with self._lock:
                self._names[ref] = name
                self._refs[name] = ref
        return name

    def _ensure_worker_group_topic(self, name: str) -> None:
        """A task routed to a worker group this process was not configured with (``workerGroup.key``
        rendered at run time): its jobs wait in that group's topic until a worker of the group starts
        (``fallback: WAIT``), so the topic is created like the default group's when it is missing."""
        from confluent_kafka.cimpl import NewTopic

        from kestra_stream.topics.admin import TopicAdmin

        spec = self._options.catalog.topic("worker-jobs")
        admin = TopicAdmin(client_properties=self._options.client_properties)
        if name in admin.existing_topics():
            return
        admin.create(
            [
                NewTopic(
                    name,
                    num_partitions=spec.partitions,
                    replication_factor=spec.replication_factor,
                    config=dict(spec.configs),
                )
            ]
        )
        log.info("queue.worker_group_topic_created", topic=name)

    def ref(self, name: str) -> TopicRef:
        return self._refs[name]

    def group_id(self, name: str) -> str:
        return self._options.consumer_prefix + name

    def partitions(self, topic: TopicLike) -> int:
        ref = topic_ref(topic)
        count = self._partition_counts.get(ref)
        if count is None:
            name = self.name(ref)
            probe = Consumer(self._options.consumer_config(**{"group.id": f"probe-{uuid.uuid4().hex}"}))
            try:
                metadata = probe.list_topics(name, timeout=self._options.operation_timeout).topics.get(name)
            finally:
                probe.close()
            if metadata is None or metadata.error is not None or not metadata.partitions:
                raise QueueError(f"topic {name} does not exist: run `kestra-stream topics apply`")
            count = self._partition_counts[ref] = len(metadata.partitions)
        return count

    def producer(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                self._producer = KafkaProducer(queue=self)
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
    ) -> KafkaTransactionalConsumer:
        return KafkaTransactionalConsumer(
            queue=self,
            topics=[topic_ref(t) for t in topics],
            group_id=group_id,
            transactional_id=transactional_id,
            on_assign=on_assign,
            on_revoke=on_revoke,
            group_instance_id=group_instance_id,
        )

    def group_consumer(
        self,
        *,
        topic: TopicLike,
        group_id: str,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        group_instance_id: str | None = None,
    ) -> KafkaGroupConsumer:
        return KafkaGroupConsumer(
            queue=self,
            topic=topic_ref(topic),
            group_id=group_id,
            on_assign=on_assign,
            on_revoke=on_revoke,
            group_instance_id=group_instance_id,
        )

    def broadcast_reader(
        self, *, topic: TopicLike, start: BroadcastStart = "beginning"
    ) -> KafkaBroadcastReader:
        return KafkaBroadcastReader(queue=self, topic=topic_ref(topic), start=start)

    def read_partitions(self, topic: TopicLike, partitions: Iterable[int]) -> list[Record]:
        reader = KafkaBroadcastReader(queue=self, topic=topic_ref(topic), start="beginning", only=partitions)
        try:
            records: list[Record] = []
            while not reader.at_end():
                records.extend(reader.poll(10000, 0.1))
            return records
        finally:
            reader.close()

    def close(self) -> None:
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close()

    def record(self, message: Message) -> Record:
        _, timestamp = message.timestamp()
        return Record(
            self._refs[message.topic() or ""],
            message.partition() or 0,
            message.offset() or 0,
            message.key(),
            message.value(),
            timestamp / 1000.0,
        )


def _static_membership(group_instance_id: str | None) -> dict[str, str]:
    """A static member is not removed from its group until ``session.timeout.ms`` has passed: the
    same name presented again within it (a restarted process) takes the partitions back with no
    rebalance. It does not leave on close either, so a stopped member that never returns holds its
    partitions for one session timeout."""
    return {} if group_instance_id is None else {"group.instance.id": group_instance_id}


def _produce(producer: Producer, name: str, out: Outgoing, on_delivery: Any = None) -> None:
    while True:
        try:
            if on_delivery is None:
                producer.produce(name, key=out.key, value=out.value)
            else:
                producer.produce(name, key=out.key, value=out.value, on_delivery=on_delivery)
            return
        except BufferError:
            producer.poll(0.01)


class KafkaProducer:
    """The shared producer; a background thread serves delivery callbacks."""

    def __init__(self, *, queue: KafkaQueue) -> None:
        self._queue = queue
        self._producer = Producer(queue.options.producer_config(**{"enable.idempotence": True}))
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="kafka-producer-poll", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.05)

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
        callback = None
        if on_delivery is not None:
            done = on_delivery

            def callback(error: KafkaError | None, _: Message) -> None:
                done(None if error is None else QueueError(str(error)))

        _produce(self._producer, self._queue.name(out.topic), out, callback)

    def flush(self, timeout: float = 10.0) -> int:
        return int(self._producer.flush(timeout))

    def close(self) -> None:
        self._producer.flush(self._queue.options.operation_timeout)
        self._stop.set()
        self._poller.join()


class KafkaTransactionalConsumer:
    def __init__(
        self,
        *,
        queue: KafkaQueue,
        topics: list[TopicRef],
        group_id: str,
        transactional_id: str,
        on_assign: PartitionsCallback | None,
        on_revoke: PartitionsCallback | None,
        group_instance_id: str | None = None,
    ) -> None:
        self._queue = queue
        self._transactional_id = transactional_id
        self._on_assign = on_assign
        self._on_revoke = on_revoke
        self._assigned: Partitions = frozenset()
        self._batch_start: dict[tuple[str, int], int] = {}
        self._next: dict[tuple[str, int], int] = {}
        self._producer = self._new_producer()
        options = queue.options
        self._consumer = Consumer(
            options.consumer_config(
                **{
                    "group.id": queue.group_id(group_id),
                    # range keeps partition p of every co-partitioned topic on the same member
                    "group.protocol": "classic",
                    "partition.assignment.strategy": "range",
                    "isolation.level": "read_committed",
                    "enable.auto.commit": False,
                    **_static_membership(group_instance_id),
                }
            )
        )
        names = [queue.name(topic) for topic in topics]
        self._consumer.subscribe(
            names, on_assign=self._assigned_cb, on_revoke=self._revoked_cb, on_lost=self._revoked_cb
        )

    def _new_producer(self) -> Producer:
        options = self._queue.options
        producer = Producer(
            options.producer_config(
                **{
                    "transactional.id": self._transactional_id,
                    "transaction.timeout.ms": options.transaction_timeout_ms,
                }
            )
        )
        producer.init_transactions(options.operation_timeout)
        return producer

    def _assigned_cb(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        added = frozenset(tp.partition for tp in partitions) - self._assigned
        self._assigned |= added
        if added and self._on_assign is not None:
            self._on_assign(added)

    def _revoked_cb(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = frozenset(tp.partition for tp in partitions) & self._assigned
        self._assigned -= revoked
        for tp in [tp for tp in self._batch_start if tp[1] in revoked]:
            self._batch_start.pop(tp, None)
            self._next.pop(tp, None)
        if revoked and self._on_revoke is not None:
            self._on_revoke(revoked)

    def assignment(self) -> Partitions:
        return self._assigned

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        first = self._consumer.poll(timeout)
        if first is None:
            return []
        messages = [first, *self._consumer.consume(max_records - 1, 0)] if max_records > 1 else [first]
        records: list[Record] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise QueueError(f"fatal consumer error: {error}")
                log.warning("queue.consume_error", error=str(error))
                continue
            record = self._queue.record(message)
            tp = (message.topic() or "", record.partition)
            self._batch_start.setdefault(tp, record.offset)
            self._next[tp] = record.offset + 1
            records.append(record)
        return records

    def commit(self, outputs: Sequence[Outgoing]) -> None:
        limit = self._queue.message_limit
        for out in outputs:
            check_size(out, limit)
        if not outputs and not self._next:
            return
        timeout = self._queue.options.operation_timeout
        producer = self._producer
        try:
            producer.begin_transaction()
            for out in outputs:
                _produce(producer, self._queue.name(out.topic), out)
            if self._next:
                offsets = [
                    TopicPartition(name, partition, offset)
                    for (name, partition), offset in self._next.items()
                ]
                producer.send_offsets_to_transaction(
                    offsets, self._consumer.consumer_group_metadata(), timeout
                )
            self._commit_transaction(producer, timeout)
        except KafkaException as exception:
            self._recover(exception)
            self._rewind()
            raise TransactionAbortedError(str(exception.args[0])) from exception
        self._batch_start.clear()
        self._next.clear()

    def _commit_transaction(self, producer: Producer, timeout: float) -> None:
        for attempt in range(3):
            try:
                producer.commit_transaction(timeout)
                return
            except KafkaException as exception:
                error: KafkaError = exception.args[0]
                if not error.retriable() or attempt == 2:
                    raise

    def _recover(self, exception: KafkaException) -> None:
        error: KafkaError = exception.args[0]
        log.warning("queue.transaction_failed", error=str(error), fatal=error.fatal())
        if error.fatal():
            self._producer = self._new_producer()
            return
        try:
            self._producer.abort_transaction(self._queue.options.operation_timeout)
        except KafkaException as abort_error:
            log.warning("queue.abort_failed", error=str(abort_error))
            self._producer = self._new_producer()

    def abort(self) -> None:
        self._rewind()

    def _rewind(self) -> None:
        for (name, partition), offset in self._batch_start.items():
            if partition not in self._assigned:
                continue
            try:
                self._consumer.seek(TopicPartition(name, partition, offset))
            except KafkaException as error:
                log.warning("queue.seek_failed", topic=name, partition=partition, error=str(error))
        self._batch_start.clear()
        self._next.clear()

    def close(self) -> None:
        try:
            self._consumer.close()
        finally:
            self._producer.flush(1.0)


class KafkaGroupConsumer:
    def __init__(
        self,
        *,
        queue: KafkaQueue,
        topic: TopicRef,
        group_id: str,
        on_assign: PartitionsCallback | None,
        on_revoke: PartitionsCallback | None,
        group_instance_id: str | None = None,
    ) -> None:
        self._queue = queue
        self._topic = topic
        self._name = queue.name(topic)
        self._on_assign = on_assign
        self._on_revoke = on_revoke
        self._acks = AckTracker()
        self._paused = False
        self._assigned: Partitions = frozenset()
        self._consumer = Consumer(
            queue.options.consumer_config(
                **{
                    "group.id": queue.group_id(group_id),
                    "group.protocol": "classic",
                    "partition.assignment.strategy": "range",
                    "enable.auto.commit": False,
                    **_static_membership(group_instance_id),
                }
            )
        )
        self._consumer.subscribe(
            [self._name], on_assign=self._assigned_cb, on_revoke=self._revoked_cb, on_lost=self._lost_cb
        )

    def _assigned_cb(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        consumer.assign(partitions)
        if self._paused and partitions:
            consumer.pause(partitions)
        added = frozenset(tp.partition for tp in partitions)
        self._assigned |= added
        if added and self._on_assign is not None:
            self._on_assign(added)

    def _revoked_cb(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._commit(asynchronous=False)
        self._lost_cb(consumer, partitions)

    def _lost_cb(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = frozenset(tp.partition for tp in partitions)
        self._assigned -= revoked
        self._acks.forget({(self._topic, partition) for partition in revoked})
        if revoked and self._on_revoke is not None:
            self._on_revoke(revoked)

    def assignment(self) -> Partitions:
        return self._assigned

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        self._commit(asynchronous=True)
        first = self._consumer.poll(timeout)
        if first is None:
            return []
        messages = [first, *self._consumer.consume(max_records - 1, 0)] if max_records > 1 else [first]
        records: list[Record] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise QueueError(f"fatal consumer error: {error}")
                log.warning("queue.consume_error", error=str(error))
                continue
            record = self._queue.record(message)
            self._acks.received(record.topic, record.partition, record.offset)
            records.append(record)
        return records

    def ack(self, record: Record) -> None:
        self._acks.ack(record.topic, record.partition, record.offset)

    def _commit(self, *, asynchronous: bool) -> None:
        offsets = [
            TopicPartition(self._name, partition, offset)
            for (_, partition), offset in self._acks.committable().items()
            if partition in self._assigned
        ]
        if not offsets:
            return
        try:
            if asynchronous:
                self._consumer.commit(offsets=offsets, asynchronous=True)
            else:
                self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as error:
            log.warning("queue.commit_failed", topic=self._name, error=str(error))

    def pause(self) -> None:
        if not self._paused:
            self._paused = True
            self._consumer.pause(self._consumer.assignment())

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._consumer.resume(self._consumer.assignment())

    def close(self) -> None:
        self._commit(asynchronous=False)
        self._consumer.close()


class KafkaBroadcastReader:
    def __init__(
        self, *, queue: KafkaQueue, topic: TopicRef, start: BroadcastStart, only: Iterable[int] | None = None
    ) -> None:
        self._queue = queue
        name = self._name = queue.name(topic)
        self._consumer = Consumer(
            queue.options.consumer_config(
                **{
                    # never joins nor commits: a group id is only required by librdkafka
                    "group.id": f"{queue.group_id('broadcast')}-{uuid.uuid4().hex}",
                    "enable.partition.eof": True,
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                }
            )
        )
        partitions = sorted(only) if only is not None else list(range(queue.partitions(topic)))
        self._partitions = frozenset(partitions)
        self._eof: set[int] = set()
        if start == "beginning":
            assignment = [TopicPartition(name, p, OFFSET_BEGINNING) for p in partitions]
        elif start == "end":
            assignment = [TopicPartition(name, p, OFFSET_END) for p in partitions]
        else:
            wanted = [TopicPartition(name, p, int(start * 1000)) for p in partitions]
            found = self._offsets_for_times(wanted, queue.options.operation_timeout)
            assignment = [
                TopicPartition(name, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_END)
                for tp in found
            ]
        self._consumer.assign(assignment)

    def _offsets_for_times(self, wanted: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        """Leaders of fresh topics take a moment to be known: retry the retriable errors."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                found: list[TopicPartition] = self._consumer.offsets_for_times(wanted, timeout)
                return found
            except KafkaException as exception:
                error: KafkaError = exception.args[0]
                if time.monotonic() > deadline or not (
                    error.retriable() or error.code() == KafkaError.NOT_LEADER_FOR_PARTITION
                ):
                    raise
                time.sleep(0.2)

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        first = self._consumer.poll(timeout)
        if first is None:
            return []
        messages = [first, *self._consumer.consume(max_records - 1, 0)] if max_records > 1 else [first]
        records: list[Record] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    self._eof.add(message.partition() or 0)
                    continue
                if error.fatal():
                    raise QueueError(f"fatal consumer error: {error}")
                log.warning("queue.consume_error", error=str(error))
                continue
            self._eof.discard(message.partition() or 0)
            records.append(self._queue.record(message))
        return records

    def at_end(self) -> bool:
        return self._eof >= self._partitions

    def at_current_end(self, timeout: float) -> bool:
        """Positions against the high watermarks asked now (``at_end`` only knows the last EOF event).

        A partition never read from has no position: it is at its end only when it is empty."""
        deadline = time.monotonic() + timeout
        try:
            positions = self._consumer.position(
                [TopicPartition(self._name, partition) for partition in sorted(self._partitions)]
            )
            for position in positions:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(self._name, position.partition), timeout=remaining, cached=False
                )
                if (position.offset < 0 and high > low) or (position.offset >= 0 and position.offset < high):
                    return False
        except KafkaException as error:
            log.warning("queue.watermarks_unavailable", topic=self._name, error=str(error))
            return False
        return True

    def close(self) -> None:
        self._consumer.close()
