"""The indexer's lag during a run: records of ``execution-states`` and ``logs`` not yet committed by
the indexer's consumer groups (high watermark - committed offset, summed over partitions)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from confluent_kafka import Consumer, TopicPartition

TOPICS = ("execution-states", "logs")


@dataclass
class LagSampler:
    bootstrap: str
    prefix: str
    interval: float = 2.0
    samples: list[tuple[float, int]] = field(default_factory=list)

    def _lag(self) -> int:
        total = 0
        for topic in TOPICS:
            name = f"{self.prefix}{topic}"
            consumer = Consumer(
                {
                    "bootstrap.servers": self.bootstrap,
                    "group.id": f"{self.prefix}indexer-{topic}",
                    "enable.auto.commit": False,
                }
            )
            try:
                partitions = consumer.list_topics(name, timeout=10).topics[name].partitions
                committed = consumer.committed([TopicPartition(name, p) for p in partitions], timeout=10)
                for tp in committed:
                    high = consumer.get_watermark_offsets(TopicPartition(name, tp.partition), timeout=10)[1]
                    total += high - max(tp.offset, 0)
            finally:
                consumer.close()
        return total

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):  # a sample lost is not a benchmark lost
                self.samples.append((time.time(), await asyncio.to_thread(self._lag)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    def describe(self) -> str:
        if not self.samples:
            return "indexer lag: no sample"
        values = [lag for _, lag in self.samples]
        return f"indexer lag (records): max {max(values)}, last {values[-1]}, {len(values)} samples"
