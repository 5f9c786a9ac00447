"""Index one batch of records: project, collapse, bulk with retries, then commit.

The batch is retried with exponential backoff for as long as the store is unavailable: nothing is ever
dropped and ``commit`` runs only once every write is acknowledged (or, for a version conflict, known to
be older than what is stored). Records the store refuses for good (a document the mapping rejects) and
unreadable records are logged, counted and skipped so that one bad record never blocks a partition.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from kestra_stream.indexer._projection import UnreadableRecordError, collapse, project
from kestra_stream.indexer.metrics import IndexerMetrics, default_metrics
from kestra_stream.indexer.records import EXECUTION_STATES, SourceRecord
from kestra_stream.repository.writes import BulkWriter, RepositoryUnavailableError, WriteOp

log = structlog.get_logger(__name__)

Commit = Callable[[], Awaitable[None] | None]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class RetryOptions:
    initial_delay: float = 0.1
    max_delay: float = 30.0
    multiplier: float = 2.0


@dataclass(frozen=True, kw_only=True)
class BatchReport:
    records: int
    writes: int
    written: int
    conflicts: int
    rejected: int
    unreadable: int
    attempts: int


class BatchIndexer:
    def __init__(
        self,
        *,
        writer: BulkWriter,
        retry: RetryOptions | None = None,
        metrics: IndexerMetrics | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._writer = writer
        self._retry = retry or RetryOptions()
        self._metrics = metrics or default_metrics()
        self._sleep = sleep
        self._clock = clock

    async def index(self, records: Sequence[SourceRecord], commit: Commit) -> BatchReport:
        ops, unreadable = self._project(records)
        writes = collapse(ops)
        written, conflicts, rejected, attempts = await self._write(writes, len(records))
        result = commit()
        if inspect.isawaitable(result):
            await result
        self._observe_lag(records)
        return BatchReport(
            records=len(records),
            writes=len(writes),
            written=written,
            conflicts=conflicts,
            rejected=rejected,
            unreadable=unreadable,
            attempts=attempts,
        )

    def _project(self, records: Sequence[SourceRecord]) -> tuple[list[WriteOp], int]:
        """The writes of a batch, newest record first so that an execution's older snapshots in the
        same batch are never parsed: only its newest readable one can win :func:`collapse`. (A
        tombstone there projects to nothing, so the snapshot before it is still indexed.)"""
        ops: list[list[WriteOp]] = []
        unreadable = 0
        projected: set[bytes] = set()
        seen: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for record in reversed(records):
            seen[record.topic] += 1
            key = record.key if record.topic == EXECUTION_STATES and record.value is not None else None
            if key is not None and key in projected:
                continue
            try:
                ops.append(project(record))
            except UnreadableRecordError as error:
                unreadable += 1
                failed[record.topic] += 1
                log.warning("indexer.unreadable_record", error=str(error))
                continue
            if key is not None:
                projected.add(key)
        for topic, count in seen.items():  # one labelled update per topic: labels() is not free
            self._metrics.message_in.labels(topic).inc(count)
        for topic, count in failed.items():
            self._metrics.message_failed.labels(topic).inc(count)
        return [op for group in reversed(ops) for op in group], unreadable

    async def _write(self, writes: list[WriteOp], records: int) -> tuple[int, int, int, int]:
        written = conflicts = rejected = attempts = 0
        pending = writes
        delay = self._retry.initial_delay
        self._metrics.pending.set(records)
        while pending:
            attempts += 1
            self._metrics.request.inc()
            started = time.perf_counter()
            try:
                outcome = await self._writer.bulk(pending)
            except RepositoryUnavailableError as error:
                log.warning(
                    "indexer.store_unavailable", error=str(error), retry_in=delay, writes=len(pending)
                )
            else:
                self._metrics.request_duration.observe(time.perf_counter() - started)
                written += outcome.written
                conflicts += outcome.conflicts
                again = {id(op) for op in outcome.retry}
                done: dict[str, int] = {}
                for op in pending:
                    if id(op) not in again:
                        done[op.index.value] = done.get(op.index.value, 0) + 1
                for index, count in done.items():
                    self._metrics.message_out.labels(index).inc(count)
                for failure in outcome.rejected:
                    rejected += 1
                    self._metrics.document_rejected.labels(failure.op.index.value).inc()
                    log.error(
                        "indexer.document_rejected",
                        index=failure.op.index.value,
                        doc_id=failure.op.doc_id,
                        status=failure.status,
                        reason=failure.reason,
                    )
                pending = list(outcome.retry)
                if not pending:
                    break
            self._metrics.request_retry.inc()
            await self._sleep(delay)
            delay = min(delay * self._retry.multiplier, self._retry.max_delay)
        self._metrics.pending.set(0)
        return written, conflicts, rejected, attempts

    def _observe_lag(self, records: Sequence[SourceRecord]) -> None:
        newest: dict[str, float] = {}
        for record in records:
            if record.timestamp is not None:
                newest[record.topic] = max(newest.get(record.topic, 0.0), record.timestamp)
        now = self._clock()
        for topic, timestamp in newest.items():
            self._metrics.lag.labels(topic).set(max(now - timestamp, 0.0))
