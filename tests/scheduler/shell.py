"""Helpers to drive scheduler instances in tests: a settable clock and topic readers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson

from kestra_stream.executor.messages import NewExecution, execution_message_from_json
from kestra_stream.flows_cache import FlowSource, publish_flow
from kestra_stream.queue import BroadcastReader, Queue, TopicRef


class Clock:
    """Thread-safe settable clock (no sleeps: tests move time forward)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


def publish(
    queue: Queue, source: str, *, flow_id: str, namespace: str = "company.team", revision: int = 1
) -> None:
    producer = queue.producer()
    publish_flow(
        producer,
        FlowSource(tenant_id="main", namespace=namespace, id=flow_id, revision=revision, source=source),
    )
    producer.flush(10)


class ExecutionsReader:
    """Every NewExecution on ``executions`` (ids and trigger dates), in order."""

    def __init__(self, queue: Queue) -> None:
        self._reader: BroadcastReader = queue.broadcast_reader(
            topic=TopicRef("executions"), start="beginning"
        )
        self.executions: list[NewExecution] = []
        self.arrivals: list[float] = []

    def read(self) -> list[NewExecution]:
        for record in self._reader.poll(10000, 0.05):
            if record.value is None:
                continue
            message = execution_message_from_json(record.value)
            if isinstance(message, NewExecution):
                self.executions.append(message)
                self.arrivals.append(time.monotonic())
        return self.executions

    def wait_for(
        self, predicate: Callable[[list[NewExecution]], bool], timeout: float = 30.0
    ) -> list[NewExecution]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.read()):
                return self.executions
        raise AssertionError(f"condition not met; {len(self.executions)} executions seen")

    def dates(self) -> list[str]:
        return [message.execution.trigger.variables["date"] for message in self.executions]  # type: ignore[union-attr, index]

    def close(self) -> None:
        self._reader.close()


def ended_state_record(execution: NewExecution, state: str) -> bytes:
    data = execution.execution.to_json_dict()
    data["state"] = {"current": state, "histories": [{"state": state, "date": "2024-01-01T00:00:00Z"}]}
    return orjson.dumps({"execution": data})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
