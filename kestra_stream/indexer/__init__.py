"""The indexer: projects the source topics into the repository (DESIGN principle 4).

:class:`BatchIndexer` is the consumption-independent core (records in, commit callback out);
:class:`Indexer` runs it on the queue's consumer group ``indexer``.
"""

from kestra_stream.indexer._projection import UnreadableRecordError, collapse, project
from kestra_stream.indexer.batch import BatchIndexer, BatchReport, Commit, RetryOptions
from kestra_stream.indexer.metrics import IndexerMetrics, default_metrics
from kestra_stream.indexer.records import SOURCE_TOPICS, SourceRecord
from kestra_stream.indexer.service import Indexer, IndexerOptions

__all__ = [
    "SOURCE_TOPICS",
    "BatchIndexer",
    "BatchReport",
    "Commit",
    "Indexer",
    "IndexerMetrics",
    "IndexerOptions",
    "RetryOptions",
    "SourceRecord",
    "UnreadableRecordError",
    "collapse",
    "default_metrics",
    "project",
]
