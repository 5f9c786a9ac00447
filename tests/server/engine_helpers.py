"""A whole engine (executor + keyed processors + worker) on one queue, and reading its results."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from queue_backends import PARTITIONS

from kestra_stream.config import Config
from kestra_stream.executor.messages import NewExecution
from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.models.execution import Execution
from kestra_stream.queue import Queue, TopicRef
from kestra_stream.server import Server, ServerPlan, ServerSettings

STATES = TopicRef("execution-states")


@contextmanager
def engine(
    queue: Queue,
    tmp_path: Path,
    flows: dict[str, str],
    *,
    indexer: bool = False,
    config: Config | None = None,
) -> Iterator[Server]:
    directory = tmp_path / "flows"
    directory.mkdir(exist_ok=True)
    for name, source in flows.items():
        (directory / f"{name}.yml").write_text(source)
    base = config or Config()
    server = Server(
        config=base.with_overrides({"kestra.storage.local.base-path": str(tmp_path / "storage")}),
        plan=ServerPlan(flows_path=directory, management=False, worker_threads=4, indexer=indexer),
        queue=queue,
        settings=ServerSettings(heartbeat_interval=0.5),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def submit(queue: Queue, namespace: str, flow_id: str, **inputs: object) -> str:
    execution_id = uuid.uuid4().hex[:16]
    execution = Execution(
        id=execution_id, namespace=namespace, flow_id=flow_id, flow_revision=1, inputs=dict(inputs) or None
    )
    producer = queue.producer()
    producer.produce(
        TopicRef("executions"), key=execution_id.encode(), value=NewExecution(execution=execution).to_json()
    )
    producer.flush(10)
    return execution_id


def executions(queue: Queue) -> dict[str, Execution]:
    """Latest state of every execution written to the changelog (tombstones ignored)."""
    latest: dict[str, Execution] = {}
    for record in queue.read_partitions(STATES, range(PARTITIONS)):
        if record.key is not None and record.value is not None:
            latest[record.key.decode()] = execution_from_bytes(record.value)
    return latest


def wait_for(
    queue: Queue, predicate: Callable[[dict[str, Execution]], bool], timeout: float = 60.0
) -> dict[str, Execution]:
    deadline = time.monotonic() + timeout
    found = executions(queue)
    while not predicate(found):
        if time.monotonic() > deadline:
            raise AssertionError(
                "timed out; executions: "
                + str({key: (e.flow_id, e.state.current.value) for key, e in found.items()})
            )
        time.sleep(0.2)
        found = executions(queue)
    return found


def ended(execution_ids: list[str]) -> Callable[[dict[str, Execution]], bool]:
    def check(found: dict[str, Execution]) -> bool:
        return all(key in found and found[key].state.current.is_terminated() for key in execution_ids)

    return check
