"""Flows written from a worker through the API's own code path (``kestra_stream.webserver.flow_store``):
the same validation, the same revision numbering, the same records on the ``flows`` topic."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from kestra_stream.flows import FlowValidationError
from kestra_stream.queue import TopicLike
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.process_services import worker_services
from kestra_stream.webserver.errors import ApiError
from kestra_stream.webserver.followers import FlowView

T = TypeVar("T")


class WorkerFlowStore:
    """A :class:`FlowStoreServices` for a task: a view of the ``flows`` topic read to its end, and the
    worker's producer (each write waits for the broker's acknowledgement, as the API does)."""

    def __init__(self, what: str) -> None:
        services = worker_services(what)
        self.flows = FlowView(queue=services.queue, defaults=list(services.defaults))
        self._producer = services.queue.producer()

    def __enter__(self) -> WorkerFlowStore:
        self.flows.catch_up()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.flows.close()

    async def send(self, topic: TopicLike, *, key: bytes | None, value: bytes | None) -> None:
        failures: list[Exception] = []

        def delivered(error: Exception | None) -> None:
            if error is not None:
                failures.append(error)

        self._producer.produce(topic, key=key, value=value, on_delivery=delivered)
        pending = await asyncio.to_thread(self._producer.flush, 30)
        if failures or pending:
            raise TaskFailure(f"the flow was not written to the `flows` topic: {failures or 'timeout'}")

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run one of flow_store's coroutines; its API errors become task failures."""
        try:
            return asyncio.run(coroutine)
        except ApiError as error:
            details = "; ".join(detail.message for detail in error.errors)
            raise TaskFailure(error.message + (f" ({details})" if details else "")) from None
        except FlowValidationError as error:
            raise TaskFailure(str(error)) from None
