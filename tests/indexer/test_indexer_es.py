"""The indexer against the real Elasticsearch: versions, outages, and a full run through the queue."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Sequence

import orjson
import pytest
from elasticsearch import AsyncElasticsearch
from prometheus_client import CollectorRegistry

from kestra_stream.indexer import (
    BatchIndexer,
    Indexer,
    IndexerMetrics,
    IndexerOptions,
    RetryOptions,
    SourceRecord,
)
from kestra_stream.models import LogLevel, StateType
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.repository import (
    BulkOutcome,
    ElasticsearchRepository,
    Resource,
    SearchRequest,
    WriteOp,
    parse_search,
)

from .conftest import es_catalog
from .records import execution, flow_record, log_record, snapshot, trigger_record

pytestmark = pytest.mark.elasticsearch


async def test_out_of_order_and_duplicated_records_keep_the_newest(
    es_repo: ElasticsearchRepository, metrics: IndexerMetrics
) -> None:
    records = [
        snapshot("e1", StateType.CREATED, 2),
        snapshot("e1", StateType.RUNNING, 5),
        snapshot("e1", StateType.SUCCESS, 10),
        flow_record("hello", 1, 1),
        flow_record("hello", 2, 3),
        trigger_record("cron", 6, worker="w1"),
        trigger_record("cron", 7, worker="w2"),
        trigger_record("gone", 8, worker="w1"),
        trigger_record("gone", 9, worker=None, tombstone=True),
    ]
    replayed = [*records, *records[:3], records[4], records[5]]  # a consumer restart re-reads some
    random.Random(7).shuffle(replayed)
    indexer = BatchIndexer(writer=es_repo.writer, metrics=metrics)
    conflicts = 0
    for record in replayed:  # one record per batch: ordering is left to Elasticsearch's versions
        conflicts += (await indexer.index([record], lambda: None)).conflicts
    await es_repo.writer.refresh()

    found = await es_repo.executions.find_by_id("e1")
    assert found is not None and found.state.current is StateType.SUCCESS
    latest = await es_repo.flows.find("io.kestra", "hello")
    assert latest is not None and latest.revision == 2
    assert [flow.revision for flow in await es_repo.flows.revisions("io.kestra", "hello")] == [1, 2]
    cron = await es_repo.triggers.find("io.kestra", "hello", "cron")
    assert cron is not None and cron.worker_id == "w2"
    assert await es_repo.triggers.find("io.kestra", "hello", "gone") is None
    assert conflicts > 0


class _Outage:
    """Writes to a closed port until ``restore`` is called, then to the real Elasticsearch."""

    def __init__(self, *, down: ElasticsearchRepository, up: ElasticsearchRepository) -> None:
        self._down = down
        self._up = up
        self.restored = False

    def restore(self) -> None:
        self.restored = True

    async def bulk(self, ops: Sequence[WriteOp]) -> BulkOutcome:
        return await (self._up if self.restored else self._down).writer.bulk(ops)

    async def refresh(self) -> None:
        await self._up.writer.refresh()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_batch_is_retried_and_committed_only_once_elasticsearch_is_back(
    es_repo: ElasticsearchRepository, es_prefix: str, metrics: IndexerMetrics
) -> None:
    down = ElasticsearchRepository(
        client=AsyncElasticsearch(f"http://127.0.0.1:{_closed_port()}", request_timeout=2, max_retries=0),
        catalog=es_catalog(es_prefix),
    )
    outage = _Outage(down=down, up=es_repo)
    delays: list[float] = []
    commits: list[int] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)
        assert commits == []  # nothing is committed while Elasticsearch is down
        if len(delays) == 4:
            outage.restore()
        await asyncio.sleep(0.01)

    indexer = BatchIndexer(
        writer=outage,
        retry=RetryOptions(initial_delay=0.5, max_delay=2.0),
        metrics=metrics,
        sleep=sleep,
    )
    batch = [snapshot(f"x{i}", StateType.SUCCESS, i) for i in range(20)] + [log_record("x1", "hello", 0)]
    report = await indexer.index(batch, lambda: commits.append(len(batch)))
    await down.close()

    assert delays == [0.5, 1.0, 2.0, 2.0]
    assert commits == [21] and report.attempts == 5 and report.written == 21
    assert metrics.registry.get_sample_value("kestra_indexer_request_retry_count_total") == 4
    await es_repo.writer.refresh()
    assert (await es_repo.executions.search(SearchRequest())).total == 20
    assert len(await es_repo.logs.find_by_execution("x1")) == 1


async def test_a_rejected_document_is_skipped_not_retried(
    es_repo: ElasticsearchRepository, metrics: IndexerMetrics
) -> None:
    bad = orjson.dumps(
        {"execution": {"id": "bad", "namespace": "n", "flowId": "f", "scheduleDate": "not a date"}}
    )
    records = [
        SourceRecord(topic="execution-states", partition=0, offset=1, key=b"bad", value=bad),
        snapshot("good", StateType.SUCCESS, 2),
    ]
    commits: list[bool] = []
    report = await BatchIndexer(writer=es_repo.writer, metrics=metrics).index(
        records, lambda: commits.append(True)
    )
    assert commits == [True] and report.rejected == 1 and report.written == 1 and report.attempts == 1
    failed = metrics.registry.get_sample_value(
        "kestra_indexer_document_rejected_count_total", {"index": "executions"}
    )
    assert failed == 1


async def test_two_hundred_executions_through_the_queue(es_repo: ElasticsearchRepository) -> None:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=4))
    producer = queue.producer()
    expected: dict[str, StateType] = {}
    for number in range(200):
        execution_id = f"run{number:03d}"
        final = StateType.SUCCESS if number % 2 else StateType.FAILED
        expected[execution_id] = final
        for state in (StateType.CREATED, StateType.RUNNING, final):
            value = orjson.dumps({"execution": execution(execution_id, state=state).to_json_dict()})
            producer.produce("execution-states", key=execution_id.encode(), value=value)
        for line in ("started", f"finished {final.value.lower()}"):
            record = log_record(execution_id, line, 0)
            producer.produce("logs", key=None, value=record.value)
    producer.flush()

    indexer = Indexer(
        queue=queue,
        writer=es_repo.writer,
        options=IndexerOptions(batch_size=150, batch_duration=0.05),
        metrics=IndexerMetrics(registry=CollectorRegistry()),
    )
    task = asyncio.create_task(indexer.run())
    async with asyncio.timeout(60):
        while indexer.indexed < 200 * 3 + 200 * 2 and not task.done():
            await asyncio.sleep(0.05)
    indexer.stop()
    await task
    await es_repo.writer.refresh()

    everything = await es_repo.executions.search(SearchRequest())
    assert everything.total == 200
    failed = await es_repo.executions.search(parse_search({"state": "FAILED"}, resource=Resource.EXECUTION))
    assert failed.total == 100
    for execution_id in ("run000", "run101", "run199"):
        found = await es_repo.executions.find_by_id(execution_id)
        assert found is not None and found.state.current is expected[execution_id]
        logs = await es_repo.logs.find_by_execution(execution_id, min_level=LogLevel.INFO)
        assert sorted(str(entry.message) for entry in logs) == [
            "finished " + expected[execution_id].lower(),
            "started",
        ]
    assert (await es_repo.logs.search(parse_search({"q": "finished"}, resource=Resource.LOG))).total == 200
