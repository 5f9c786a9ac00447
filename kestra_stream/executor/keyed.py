"""Flow-keyed processors (docs/engine.md): the per-flow concurrency counter and the Flow-trigger
precondition store, each a pure core function run by one small transactional loop.

Same exactly-once shape as the executor: poll a batch of the input topic → apply the function to the
key's state on a copy-on-write view → one transaction with the changelog records and the messages
for ``executions`` (plus the input offsets) → publish the view. On assignment the partitions' state is
restored from the changelog (co-partitioned with the input, same key); on revocation it is dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

from kestra_stream.executor._codec import CONCURRENCY_REQUESTS, EXECUTIONS, PRECONDITION_REQUESTS
from kestra_stream.executor.core.concurrency import ConcurrencyCounter, count
from kestra_stream.executor.core.preconditions import PreconditionState, evaluate
from kestra_stream.executor.messages import ConcurrencyRequest, ExecutionMessage, PreconditionRequest
from kestra_stream.queue import (
    Outgoing,
    Partitions,
    Queue,
    Record,
    TopicRef,
    TransactionAbortedError,
    TransactionalConsumer,
)

log = structlog.get_logger(__name__)

S = TypeVar("S")
R = TypeVar("R")

CONCURRENCY_COUNTERS = TopicRef("concurrency-counters")
PRECONDITION_STATES = TopicRef("flow-trigger-precondition-states")


@dataclass(frozen=True, kw_only=True)
class KeyedSpec(Generic[S, R]):
    """One flow-keyed processor: its topics, codecs and pure function."""

    name: str
    input: TopicRef
    changelog: TopicRef
    decode_request: Callable[[bytes], R]
    decode_state: Callable[[bytes], S]
    encode_state: Callable[[S], bytes]
    function: Callable[[S | None, R], tuple[S, Sequence[ExecutionMessage]]]


def _concurrency_request(data: bytes) -> ConcurrencyRequest:
    request: ConcurrencyRequest = ConcurrencyRequest.from_json(data)
    return request


def _precondition_request(data: bytes) -> PreconditionRequest:
    request: PreconditionRequest = PreconditionRequest.from_json(data)
    return request


CONCURRENCY: KeyedSpec[ConcurrencyCounter, ConcurrencyRequest] = KeyedSpec(
    name="concurrency",
    input=CONCURRENCY_REQUESTS,
    changelog=CONCURRENCY_COUNTERS,
    decode_request=_concurrency_request,
    decode_state=ConcurrencyCounter.from_bytes,
    encode_state=ConcurrencyCounter.to_bytes,
    function=count,
)

PRECONDITIONS: KeyedSpec[PreconditionState, PreconditionRequest] = KeyedSpec(
    name="preconditions",
    input=PRECONDITION_REQUESTS,
    changelog=PRECONDITION_STATES,
    decode_request=_precondition_request,
    decode_state=PreconditionState.from_bytes,
    encode_state=PreconditionState.to_bytes,
    function=evaluate,
)


class KeyedProcessor(Generic[S, R]):
    def __init__(
        self,
        *,
        queue: Queue,
        spec: KeyedSpec[S, R],
        transactional_id: str,
        group_id: str | None = None,
        batch_size: int = 500,
        poll_timeout: float = 0.05,
        static_membership: bool = False,
    ) -> None:
        self._queue = queue
        self._static_membership = static_membership
        self._spec = spec
        self._transactional_id = transactional_id
        self._group_id = group_id or spec.name
        self._batch_size = batch_size
        self._poll_timeout = poll_timeout
        self._states: dict[str, S] = {}
        self._partition: dict[str, int] = {}
        self._consumer: TransactionalConsumer | None = None
        self.batches = 0

    @property
    def name(self) -> str:
        return self._spec.name

    def state(self, key: str) -> S | None:
        return self._states.get(key)

    def assignment(self) -> Partitions:
        return self._consumer.assignment() if self._consumer is not None else frozenset()

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self._consumer = self._queue.transactional_consumer(
            topics=[self._spec.input],
            group_id=self._group_id,
            transactional_id=self._transactional_id,
            on_assign=self._assigned,
            on_revoke=self._revoked,
            group_instance_id=self._transactional_id if self._static_membership else None,
        )

    def run(self, stop: threading.Event) -> None:
        if self._consumer is None:
            self.start()
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # the loop outlives any single batch: read it again
                log.exception("keyed.batch_failed", processor=self._spec.name)
                if self._consumer is not None:
                    self._consumer.abort()
                time.sleep(0.5)

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    # -- rebalance --------------------------------------------------------------------------------

    def _assigned(self, partitions: Partitions) -> None:
        latest: dict[str, tuple[int, bytes | None]] = {}
        for record in self._queue.read_partitions(self._spec.changelog, partitions):
            if record.key is not None:
                latest[record.key.decode()] = (record.partition, record.value)
        restored = 0
        for key, (partition, value) in latest.items():
            if value is None:
                self._states.pop(key, None)
                self._partition.pop(key, None)
                continue
            try:
                self._states[key] = self._spec.decode_state(value)
            except Exception as error:  # a corrupt snapshot must not stop the restore
                log.error("keyed.restore_undecodable", processor=self._spec.name, key=key, error=str(error))
                continue
            self._partition[key] = partition
            restored += 1
        log.info(
            "keyed.partitions_assigned",
            processor=self._spec.name,
            partitions=sorted(partitions),
            restored=restored,
        )

    def _revoked(self, partitions: Partitions) -> None:
        gone = [key for key, partition in self._partition.items() if partition in partitions]
        for key in gone:
            self._states.pop(key, None)
            self._partition.pop(key, None)
        log.info("keyed.partitions_revoked", processor=self._spec.name, partitions=sorted(partitions))

    # -- one batch --------------------------------------------------------------------------------

    def step(self) -> int:
        consumer = self._consumer
        assert consumer is not None, "start() first"
        records = consumer.poll(self._batch_size, self._poll_timeout)
        if not records:
            return 0
        view: dict[str, tuple[int, S]] = {}
        outputs: list[Outgoing] = []
        for record in records:
            self._handle(record, view, outputs)
        try:
            consumer.commit(outputs)
        except TransactionAbortedError as error:
            log.warning("keyed.batch_aborted", processor=self._spec.name, error=str(error))
            return 0
        for key, (partition, state) in view.items():
            self._states[key] = state
            self._partition[key] = partition
        self.batches += 1
        return len(records)

    def _handle(self, record: Record, view: dict[str, tuple[int, S]], outputs: list[Outgoing]) -> None:
        spec = self._spec
        if record.key is None or record.value is None:
            log.error("keyed.unkeyed_record", processor=spec.name, offset=record.offset)
            return
        key = record.key.decode(errors="replace")
        try:
            request = spec.decode_request(record.value)
            current = view[key][1] if key in view else self._states.get(key)
            state, messages = spec.function(current, request)
        except Exception as error:  # a poison request is skipped, never the loop
            log.error(
                "keyed.poison_record",
                processor=spec.name,
                key=key,
                partition=record.partition,
                offset=record.offset,
                error=str(error)[:500],
            )
            return
        limit = self._queue.message_limit
        produced = [
            Outgoing(EXECUTIONS, message.execution_id.encode(), message.to_json()) for message in messages
        ]
        changelog = Outgoing(spec.changelog, record.key, spec.encode_state(state))
        for outgoing in (*produced, changelog):
            if outgoing.size > limit:
                log.error(
                    "keyed.message_too_large",
                    processor=spec.name,
                    key=key,
                    topic=str(outgoing.topic),
                    size=outgoing.size,
                )
                return
        view[key] = (record.partition, state)
        outputs.extend(produced)
        if state != current:
            outputs.append(changelog)
