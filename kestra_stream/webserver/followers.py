"""What the webserver follows on the queue: the flows (compacted), execution states and logs.

Each follower is one thread with one broadcast reader, shared by every request of the process:
an SSE client or a ``wait=true`` call subscribes to an execution id rather than opening a reader of
its own. Callbacks run in the follower thread; :class:`AsyncSubscription` hands items to asyncio.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
import structlog
import yaml

from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.flows import Flow, FlowValidationError, PluginDefault, parse_flow
from kestra_stream.flows_cache import DEFAULT_TENANT, FlowSource
from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry
from kestra_stream.queue import BroadcastReader, BroadcastStart, Queue, Record, TopicRef
from kestra_stream.yaml_loader import load_yaml

log = structlog.get_logger(__name__)

T = TypeVar("T")
Callback = Callable[[T], None]


class _Subscriptions(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, list[Callback[T]]] = defaultdict(list)

    def add(self, key: str, callback: Callback[T]) -> Callable[[], None]:
        with self._lock:
            self._by_key[key].append(callback)

        def remove() -> None:
            with self._lock:
                callbacks = self._by_key.get(key, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks:
                    self._by_key.pop(key, None)

        return remove

    def has(self, key: str) -> bool:
        with self._lock:
            return key in self._by_key

    def notify(self, key: str, item: T) -> None:
        with self._lock:
            callbacks = list(self._by_key.get(key, ()))
        for callback in callbacks:
            try:
                callback(item)
            except Exception:  # a broken subscriber must not stop the follower
                log.exception("follower.callback_failed", key=key)


class _Follower:
    """A broadcast reader polled by a daemon thread; subclasses handle each record."""

    name = "follower"

    def __init__(self, *, queue: Queue, topic: TopicRef, start: BroadcastStart) -> None:
        self._queue = queue
        self._topic = topic
        self._start = start
        self._reader: BroadcastReader | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.healthy = True

    def open(self) -> BroadcastReader:
        if self._reader is None:
            self._reader = self._queue.broadcast_reader(topic=self._topic, start=self._start)
        return self._reader

    def start(self) -> None:
        self.open()
        self._thread = threading.Thread(target=self._loop, name=f"web-{self.name}", daemon=True)
        self._thread.start()

    def poll_once(self, timeout: float) -> int:
        records = self.open().poll(500, timeout)
        for record in records:
            try:
                self.handle(record)
            except Exception as error:  # one unreadable record is skipped, never fatal
                log.warning("follower.unreadable", topic=str(self._topic), error=str(error))
        return len(records)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(0.1)
                self.healthy = True
            except Exception:
                self.healthy = False
                log.exception("follower.poll_failed", topic=str(self._topic))
                self._stop.wait(1.0)

    def handle(self, record: Record) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._reader is not None:
            self._reader.close()


# -- flows ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredFlow:
    """The latest revision of a flow as the ``flows`` topic holds it."""

    source: FlowSource
    document: dict[str, Any]

    @property
    def revision(self) -> int:
        return self.source.revision

    @property
    def deleted(self) -> bool:
        return self.source.deleted


def flow_document(source: FlowSource, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """Kestra's ``FlowWithSource`` JSON: the YAML document plus revision, source and server fields."""
    document: dict[str, Any] = {}
    if record and "tasks" in record:
        document = dict(record)
    else:
        try:
            loaded = load_yaml(source.source)
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            document = {str(key): value for key, value in loaded.items()}
        if record:
            document.update({k: v for k, v in record.items() if k in ("updated", "disabled")})
    document.update(
        {
            "id": source.id,
            "namespace": source.namespace,
            "revision": source.revision,
            "tenantId": source.tenant_id,
            "deleted": source.deleted,
            "source": source.source,
        }
    )
    document.setdefault("disabled", False)
    return document


class FlowView(_Follower):
    """Latest revision of every flow from the compacted ``flows`` topic, plus this process's own
    writes (read-your-writes before the topic echoes them back)."""

    name = "flows"

    def __init__(self, *, queue: Queue, defaults: list[PluginDefault]) -> None:
        super().__init__(queue=queue, topic=TopicRef("flows"), start="beginning")
        self.defaults = defaults
        self._lock = threading.Lock()
        self._flows: dict[tuple[str, str, str], StoredFlow] = {}
        self._parsed: dict[tuple[str, str, int], Flow | None] = {}
        self._changed = threading.Condition(self._lock)

    def catch_up(self, timeout: float = 60.0) -> None:
        reader = self.open()
        deadline = time.monotonic() + timeout
        while not reader.at_end():
            if time.monotonic() > deadline:
                raise TimeoutError("flows topic not read to its end in time")
            self.poll_once(0.05)

    def handle(self, record: Record) -> None:
        if record.value is None:
            return
        raw = orjson.loads(record.value)
        self.put(
            StoredFlow(
                FlowSource.from_json(record.value), flow_document(FlowSource.from_json(record.value), raw)
            )
        )

    def put(self, flow: StoredFlow) -> None:
        key = (flow.source.tenant_id, flow.source.namespace, flow.source.id)
        with self._lock:
            current = self._flows.get(key)
            if current is None or current.revision <= flow.revision:
                self._flows[key] = flow
                self._changed.notify_all()

    def get(self, namespace: str, flow_id: str, *, allow_deleted: bool = False) -> StoredFlow | None:
        with self._lock:
            found = self._flows.get((DEFAULT_TENANT, namespace, flow_id))
        if found is None or (found.deleted and not allow_deleted):
            return None
        return found

    def all(self) -> list[StoredFlow]:
        with self._lock:
            return [flow for flow in self._flows.values() if not flow.deleted]

    def parsed(self, stored: StoredFlow) -> Flow | None:
        key = (stored.source.namespace, stored.source.id, stored.revision)
        with self._lock:
            if key in self._parsed:
                return self._parsed[key]
        try:
            flow: Flow | None = parse_flow(stored.source.source, defaults=self.defaults).model_copy(
                update={"revision": stored.revision, "tenant_id": stored.source.tenant_id}
            )
        except FlowValidationError as error:
            log.warning("flows.invalid", namespace=key[0], flow_id=key[1], error=str(error))
            flow = None
        with self._lock:
            self._parsed[key] = flow
        return flow


# -- execution states ---------------------------------------------------------------------------------


class ExecutionStates(_Follower):
    """The newest snapshot of recently changed executions (a bounded, time-limited local view) and
    subscriptions by execution id. Reads prefer this view for ``ttl`` seconds after a change, so a
    client sees its own POST and the states that follow before the indexer has written them.

    A snapshot is kept as the record's bytes and decoded only when read or when someone subscribed
    to its execution: most states of a busy server are superseded before anybody asks for them."""

    name = "execution-states"

    def __init__(self, *, queue: Queue, capacity: int = 10_000, ttl: float = 120.0) -> None:
        super().__init__(queue=queue, topic=TopicRef("execution-states"), start=time.time() - 1)
        self._capacity = capacity
        self._ttl = ttl
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, tuple[float, Execution | bytes]] = OrderedDict()
        self._subscriptions: _Subscriptions[Execution] = _Subscriptions()

    def handle(self, record: Record) -> None:
        if record.value is None:  # the executor dropped it (purged): reads go to the repository
            if record.key is not None:
                self.forget(record.key.decode())
            return
        if record.key is None:  # the executor keys its changelog by execution id: never seen
            self.remember(execution_from_bytes(record.value))
            return
        execution_id = record.key.decode()
        if self._subscriptions.has(execution_id):
            self.remember(execution_from_bytes(record.value))
        else:
            self._keep(execution_id, record.value)

    def remember(self, execution: Execution) -> None:
        self._keep(execution.id, execution)
        self._subscriptions.notify(execution.id, execution)

    def _keep(self, execution_id: str, snapshot: Execution | bytes) -> None:
        with self._lock:
            self._recent[execution_id] = (time.monotonic(), snapshot)
            self._recent.move_to_end(execution_id)
            while len(self._recent) > self._capacity:
                self._recent.popitem(last=False)

    def get(self, execution_id: str) -> Execution | None:
        with self._lock:
            found = self._recent.get(execution_id)
        if found is None or time.monotonic() - found[0] > self._ttl:
            return None
        at, snapshot = found
        if isinstance(snapshot, Execution):
            return snapshot
        try:
            execution = execution_from_bytes(snapshot)
        except Exception as error:  # the repository answers instead
            log.warning("follower.unreadable", topic="execution-states", error=str(error))
            return None
        with self._lock:
            if self._recent.get(execution_id) is found:  # not replaced meanwhile: keep it decoded
                self._recent[execution_id] = (at, execution)
        return execution

    def forget(self, execution_id: str) -> None:
        with self._lock:
            self._recent.pop(execution_id, None)

    def subscribe(self, execution_id: str, callback: Callback[Execution]) -> Callable[[], None]:
        return self._subscriptions.add(execution_id, callback)


class LogStream(_Follower):
    """New log lines, by execution id, for ``/logs/{id}/follow``; the lines of recently active
    executions are kept a while, so a follower that starts after they were written but before the
    indexer stored them still gets them."""

    name = "logs"

    def __init__(
        self, *, queue: Queue, executions: int = 2_000, lines: int = 10_000, ttl: float = 120.0
    ) -> None:
        super().__init__(queue=queue, topic=TopicRef("logs"), start=time.time() - 1)
        self._subscriptions: _Subscriptions[LogEntry] = _Subscriptions()
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, tuple[float, list[LogEntry]]] = OrderedDict()
        self._executions, self._lines, self._ttl = executions, lines, ttl

    def handle(self, record: Record) -> None:
        if record.value is None:
            return
        entry = LogEntry.model_validate(orjson.loads(record.value))
        if entry.execution_id:
            self._keep(entry.execution_id, entry)
            self._subscriptions.notify(entry.execution_id, entry)

    def _keep(self, execution_id: str, entry: LogEntry) -> None:
        with self._lock:
            _, kept = self._recent.pop(execution_id, (0.0, []))
            if len(kept) < self._lines:
                kept.append(entry)
            self._recent[execution_id] = (time.monotonic(), kept)
            while len(self._recent) > self._executions:
                self._recent.popitem(last=False)

    def recent(self, execution_id: str) -> list[LogEntry]:
        with self._lock:
            found = self._recent.get(execution_id)
        if found is None or time.monotonic() - found[0] > self._ttl:
            return []
        return list(found[1])

    def subscribe(self, execution_id: str, callback: Callback[LogEntry]) -> Callable[[], None]:
        return self._subscriptions.add(execution_id, callback)


class AsyncSubscription(Generic[T]):
    """Items delivered by a follower thread, read with ``await next()`` in the event loop."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._items: asyncio.Queue[T] = asyncio.Queue()

    def push(self, item: T) -> None:
        self._loop.call_soon_threadsafe(self._items.put_nowait, item)

    async def next(self, timeout: float) -> T | None:
        try:
            return await asyncio.wait_for(self._items.get(), timeout)
        except TimeoutError:
            return None


@contextmanager
def subscribed(
    subscribe: Callable[[str, Callback[T]], Callable[[], None]], key: str
) -> Iterator[AsyncSubscription[T]]:
    subscription: AsyncSubscription[T] = AsyncSubscription()
    unsubscribe = subscribe(key, subscription.push)
    try:
        yield subscription
    finally:
        unsubscribe()
