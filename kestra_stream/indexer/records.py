"""What the indexer consumes: records of the source topics, however they were read."""

from __future__ import annotations

from dataclasses import dataclass

# Catalog keys of the topics the indexer reads (topics/catalog.yaml).
EXECUTION_STATES = "execution-states"
FLOWS = "flows"
TRIGGERS = "triggers"
LOGS = "logs"
METRICS = "metrics"
KV_METADATA = "kv-metadata"
SOURCE_TOPICS = (EXECUTION_STATES, FLOWS, TRIGGERS, LOGS, METRICS, KV_METADATA)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRecord:
    topic: str  # catalog key, e.g. "execution-states"
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None  # None: a tombstone
    timestamp: float | None = None  # seconds since the epoch (lag)
