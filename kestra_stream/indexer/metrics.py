"""Prometheus metrics of the indexer (names of Kestra's ``kestra_indexer_*`` where they exist)."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

_DEFAULT: IndexerMetrics | None = None


class IndexerMetrics:
    def __init__(self, *, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.message_in = Counter(
            "kestra_indexer_message_in_count",
            "Records read from the source topics",
            ["topic"],
            registry=registry,
        )
        self.message_out = Counter(
            "kestra_indexer_message_out_count",
            "Documents written (or already newer)",
            ["index"],
            registry=registry,
        )
        self.message_failed = Counter(
            "kestra_indexer_message_failed_count",
            "Records skipped for good because they cannot be read",
            ["topic"],
            registry=registry,
        )
        self.document_rejected = Counter(
            "kestra_indexer_document_rejected_count",
            "Documents Elasticsearch refused for good (the mapping rejects them), skipped",
            ["index"],
            registry=registry,
        )
        self.request = Counter("kestra_indexer_request_count", "Bulk requests sent", registry=registry)
        self.request_retry = Counter(
            "kestra_indexer_request_retry_count",
            "Bulk requests retried (store down or overloaded)",
            registry=registry,
        )
        self.request_duration = Histogram(
            "kestra_indexer_request_duration_seconds", "Bulk request latency", registry=registry
        )
        self.lag = Gauge(
            "kestra_indexer_lag_seconds",
            "Age of the newest record indexed and committed, per source topic",
            ["topic"],
            registry=registry,
        )
        self.pending = Gauge(
            "kestra_indexer_pending_records",
            "Records of the batch waiting for Elasticsearch (grows while it is down)",
            registry=registry,
        )


def default_metrics() -> IndexerMetrics:
    """The process-wide metrics on the default registry (collectors can be registered once only)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = IndexerMetrics(registry=REGISTRY)
    return _DEFAULT
