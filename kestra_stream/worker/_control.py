"""The worker's :class:`~kestra_stream.runtime.control.ControlPlane`: the repository (async) driven
from task threads through one private event loop, and a producer for the commands.

The repository is made on first use, in that loop: an Elasticsearch client belongs to the loop that
created it. A memory repository is the one of this process's indexer (``server local``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from kestra_stream.executor.messages import ExecutionMessage
from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry
from kestra_stream.queue import Producer, TopicRef
from kestra_stream.repository import Page, SearchRequest
from kestra_stream.repository.protocols import Repository
from kestra_stream.repository.records import FlowRecord
from kestra_stream.runtime.control import ControlPlaneUnavailableError
from kestra_stream.scheduler.messages import TriggerCommand, send_trigger_command

T = TypeVar("T")
EXECUTIONS = TopicRef("executions")
_CALL_TIMEOUT = 300.0


class WorkerControlPlane:
    def __init__(
        self,
        *,
        producer: Producer,
        repository: Callable[[], Repository | None],
        owns_repository: bool = False,
    ) -> None:
        self._producer = producer
        self._factory = repository
        self._owns = owns_repository
        self._repository: Repository | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _run(self, make: Callable[[Repository], Coroutine[Any, Any, T]]) -> T:
        loop = self._started()

        async def call() -> T:
            if self._repository is None:
                repository = self._factory()
                if repository is None:
                    raise ControlPlaneUnavailableError(
                        "no repository in this process: run the indexer with the worker (server local, "
                        "standalone) or set kestra.repository.type: elasticsearch"
                    )
                if self._owns:
                    self._repository = repository
                return await make(repository)
            return await make(self._repository)

        return asyncio.run_coroutine_threadsafe(call(), loop).result(_CALL_TIMEOUT)

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="worker-control", daemon=True).start()
                self._loop = loop
            return self._loop

    def _collect(self, scan: Callable[[Repository], AsyncIterator[T]]) -> list[T]:
        async def gather(repository: Repository) -> list[T]:
            return [item async for item in scan(repository)]

        return self._run(gather)

    # -- ControlPlane ----------------------------------------------------------------------------------

    def find_execution(self, execution_id: str, *, tenant: str | None = None) -> Execution | None:
        return self._run(lambda repository: repository.executions.find_by_id(execution_id, tenant=tenant))

    def count_executions(self, request: SearchRequest) -> int:
        sized = SearchRequest(filters=request.filters, page=Page(size=1), tenant=request.tenant)

        async def total(repository: Repository) -> int:
            return (await repository.executions.search(sized)).total

        return self._run(total)

    def executions(self, request: SearchRequest) -> Iterator[Execution]:
        return iter(self._collect(lambda repository: repository.executions.scan(request)))

    def logs(self, request: SearchRequest) -> Iterator[LogEntry]:
        return iter(self._collect(lambda repository: repository.logs.scan(request)))

    def delete_execution(self, execution_id: str) -> bool:
        return self._run(lambda repository: repository.executions.delete(execution_id, hard=True))

    def delete_logs(self, request: SearchRequest) -> int:
        return self._run(lambda repository: repository.logs.delete_matching(request))

    def delete_metrics(self, request: SearchRequest) -> int:
        return self._run(lambda repository: repository.metrics.delete_matching(request))

    def find_flow(self, namespace: str, flow_id: str, *, tenant: str | None = None) -> FlowRecord | None:
        return self._run(lambda repository: repository.flows.find(namespace, flow_id, tenant=tenant))

    def send_execution_message(self, message: ExecutionMessage) -> None:
        self._producer.produce(EXECUTIONS, key=message.execution_id.encode(), value=message.to_json())
        self._producer.flush(10)

    def send_trigger_command(self, command: TriggerCommand) -> None:
        send_trigger_command(self._producer, command)
        self._producer.flush(10)

    def close(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None:
            return
        repository = self._repository
        if repository is not None and self._owns:
            asyncio.run_coroutine_threadsafe(repository.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
