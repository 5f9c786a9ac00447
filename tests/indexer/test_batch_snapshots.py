"""A batch with several snapshots of one execution: only the newest readable one is projected."""

from __future__ import annotations

from unittest import mock

from prometheus_client import CollectorRegistry

from kestra_stream.indexer import BatchIndexer, IndexerMetrics, SourceRecord, batch
from kestra_stream.models import StateType
from kestra_stream.repository import MemoryRepository

from .records import log_record, snapshot


def _indexer(repo: MemoryRepository) -> tuple[BatchIndexer, IndexerMetrics]:
    metrics = IndexerMetrics(registry=CollectorRegistry())
    return BatchIndexer(writer=repo.writer, metrics=metrics), metrics


async def test_older_snapshots_of_the_batch_are_not_parsed() -> None:
    repo = MemoryRepository()
    indexer, metrics = _indexer(repo)
    records = [
        snapshot("e1", StateType.CREATED, 10),
        snapshot("e2", StateType.CREATED, 11),
        log_record("e1", "hello", 12),
        snapshot("e1", StateType.RUNNING, 13),
        snapshot("e1", StateType.SUCCESS, 14),
        snapshot("e2", StateType.RUNNING, 15),
    ]
    with mock.patch.object(batch, "project", wraps=batch.project) as projected:
        report = await indexer.index(records, lambda: None)
    parsed = [call.args[0].offset for call in projected.call_args_list]
    assert sorted(parsed) == [12, 14, 15]
    assert report.records == 6 and report.unreadable == 0
    e1, e2 = await repo.executions.find_by_id("e1"), await repo.executions.find_by_id("e2")
    assert e1 is not None and e1.state.current is StateType.SUCCESS
    assert e2 is not None and e2.state.current is StateType.RUNNING
    assert metrics.message_in.labels("execution-states")._value.get() == 5
    assert metrics.message_in.labels("logs")._value.get() == 1


async def test_an_unreadable_newest_snapshot_falls_back_to_the_one_before() -> None:
    repo = MemoryRepository()
    indexer, metrics = _indexer(repo)
    broken = SourceRecord(topic="execution-states", partition=0, offset=21, key=b"e1", value=b"not json")
    report = await indexer.index([snapshot("e1", StateType.RUNNING, 20), broken], lambda: None)
    assert report.unreadable == 1
    found = await repo.executions.find_by_id("e1")
    assert found is not None and found.state.current is StateType.RUNNING
    assert metrics.message_failed.labels("execution-states")._value.get() == 1


async def test_a_tombstone_after_the_last_snapshot_keeps_it_indexed() -> None:
    repo = MemoryRepository()
    indexer, _ = _indexer(repo)
    tombstone = SourceRecord(topic="execution-states", partition=0, offset=31, key=b"e1", value=None)
    await indexer.index([snapshot("e1", StateType.SUCCESS, 30), tombstone], lambda: None)
    found = await repo.executions.find_by_id("e1")
    assert found is not None and found.state.current is StateType.SUCCESS
