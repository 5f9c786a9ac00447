"""The indexer on the in-memory queue and repository (``server local``): same projection, same versions."""

from __future__ import annotations

import asyncio
import threading

import orjson
from prometheus_client import CollectorRegistry

from kestra_stream.indexer import BatchIndexer, Indexer, IndexerMetrics, IndexerOptions
from kestra_stream.models import StateType
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.repository import IndexKey, MemoryRepository, Resource, SearchRequest, parse_search
from kestra_stream.repository.memory import MemoryBackend

from .records import execution, flow_record, log_record, snapshot


async def test_indexer_service_on_memory() -> None:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=2))
    repo = MemoryRepository()
    producer = queue.producer()
    for number in range(30):
        execution_id = f"m{number:02d}"
        for state in (StateType.CREATED, StateType.RUNNING, StateType.SUCCESS):
            value = orjson.dumps({"execution": execution(execution_id, state=state).to_json_dict()})
            producer.produce("execution-states", key=execution_id.encode(), value=value)
        producer.produce("logs", key=None, value=log_record(execution_id, "done", 0).value)
    producer.produce("flows", key=b"io.kestra/hello", value=flow_record("hello", 1, 0).value)
    producer.flush()

    indexer = Indexer(
        queue=queue,
        writer=repo.writer,
        options=IndexerOptions(batch_size=40, batch_duration=0.01),
        metrics=IndexerMetrics(registry=CollectorRegistry()),
    )
    task = asyncio.create_task(indexer.run())
    async with asyncio.timeout(20):
        while indexer.indexed < 30 * 4 + 1 and not task.done():
            await asyncio.sleep(0.01)
    indexer.stop()
    await task

    success = await repo.executions.search(parse_search({"state": "SUCCESS"}, resource=Resource.EXECUTION))
    assert success.total == 30
    assert (await repo.logs.search(SearchRequest())).total == 30
    assert (await repo.flows.find("io.kestra", "hello")) is not None


def test_memory_repository_is_thread_safe() -> None:
    repo = MemoryRepository()
    backend = repo.writer
    assert isinstance(backend, MemoryBackend)
    indexer = BatchIndexer(writer=repo.writer, metrics=IndexerMetrics(registry=CollectorRegistry()))

    def write(thread: int) -> None:
        async def batches() -> None:
            for offset in range(50):
                record = snapshot(f"t{offset}", StateType.RUNNING, thread * 1000 + offset)
                await indexer.index([record], lambda: None)

        asyncio.run(batches())

    threads = [threading.Thread(target=write, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def check() -> None:
        result = await repo.executions.search(SearchRequest())
        assert result.total == 50
        stored = await backend.get(IndexKey.EXECUTIONS, "t7")
        assert stored is not None and stored.version == 3007  # the highest offset won

    asyncio.run(check())
