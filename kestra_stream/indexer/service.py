"""The indexer process: consume the source topics in consumer group ``indexer``, index in batches,
acknowledge (commit) only what Elasticsearch acknowledged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from kestra_stream.config import Config
from kestra_stream.indexer.batch import BatchIndexer, BatchReport, RetryOptions
from kestra_stream.indexer.metrics import IndexerMetrics
from kestra_stream.indexer.records import SOURCE_TOPICS, SourceRecord
from kestra_stream.models.durations import parse_duration
from kestra_stream.queue import GroupConsumer, Queue, Record
from kestra_stream.repository.writes import BulkWriter

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class IndexerOptions:
    batch_size: int = 500
    batch_duration: float = 1.0
    idle_poll_interval: float = 0.02
    group_id: str = "indexer"
    topics: tuple[str, ...] = SOURCE_TOPICS
    group_instance_id: str | None = None
    """The stable name of this indexer in its groups (static membership, one group per topic)."""

    @classmethod
    def from_config(cls, config: Config) -> IndexerOptions:
        duration = config.get("kestra.indexer.batch-duration")
        return cls(
            batch_size=int(config.get("kestra.indexer.batch-size", 500)),
            batch_duration=1.0 if duration is None else parse_duration(str(duration)).total_seconds(),
        )


class Indexer:
    def __init__(
        self,
        *,
        queue: Queue,
        writer: BulkWriter,
        options: IndexerOptions | None = None,
        retry: RetryOptions | None = None,
        metrics: IndexerMetrics | None = None,
    ) -> None:
        self._queue = queue
        self._options = options or IndexerOptions()
        self._batches = BatchIndexer(writer=writer, retry=retry, metrics=metrics)
        self._stopping = asyncio.Event()
        self._consumers: list[GroupConsumer] = []
        self.indexed = 0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        # One group per topic (`indexer-logs`, ...): a group has one subscription, and each topic then
        # scales and lags on its own.
        self._consumers = [
            self._queue.group_consumer(
                topic=topic,
                group_id=f"{self._options.group_id}-{topic}",
                group_instance_id=self._options.group_instance_id,
            )
            for topic in self._options.topics
        ]
        try:
            while not self._stopping.is_set():
                batch = await self._collect()
                if batch:
                    await self.index(batch)
        finally:
            for consumer in self._consumers:
                await asyncio.to_thread(consumer.close)
            self._consumers = []

    async def index(self, batch: Sequence[tuple[GroupConsumer, Record]]) -> BatchReport:
        def commit() -> None:
            for consumer, record in batch:
                consumer.ack(record)

        report = await self._batches.index([_source(record) for _, record in batch], commit)
        self.indexed += report.records
        return report

    async def _collect(self) -> list[tuple[GroupConsumer, Record]]:
        """Up to ``batch_size`` records, waiting at most ``batch_duration`` once the first arrived."""
        batch: list[tuple[GroupConsumer, Record]] = []
        deadline: float | None = None
        while not self._stopping.is_set() and len(batch) < self._options.batch_size:
            room = self._options.batch_size - len(batch)
            polled = await asyncio.to_thread(self._poll_all, room)
            batch.extend(polled)
            if batch and deadline is None:
                deadline = time.monotonic() + self._options.batch_duration
            if not polled:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                await asyncio.sleep(self._options.idle_poll_interval)
        return batch

    def _poll_all(self, room: int) -> list[tuple[GroupConsumer, Record]]:
        polled: list[tuple[GroupConsumer, Record]] = []
        for consumer in self._consumers:
            if len(polled) >= room:
                break
            polled.extend((consumer, record) for record in consumer.poll(room - len(polled), 0))
        return polled


def _source(record: Record) -> SourceRecord:
    return SourceRecord(
        topic=record.topic.key,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        timestamp=record.timestamp,
    )
