"""A flow end to end through the real core, the processor and a worker: in memory and on Kafka."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from queue_backends import PARTITIONS, MakeQueue

from kestra_stream.config import Config
from kestra_stream.executor.messages import NewExecution
from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.models.execution import Execution
from kestra_stream.models.state import StateType
from kestra_stream.queue import Queue, TopicRef
from kestra_stream.server import Server, ServerPlan, ServerSettings

FLOW = """
id: hello
namespace: company.team
tasks:
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values:
      greeting: "hello {{ 40 + 2 }}"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.values.values.greeting }}"
"""


def final_execution(queue: Queue, execution_id: str) -> Execution | None:
    latest = None
    for record in queue.read_partitions(TopicRef("execution-states"), range(PARTITIONS)):
        if record.key == execution_id.encode() and record.value is not None:
            latest = execution_from_bytes(record.value)
    return latest


def test_two_task_flow_ends_success_with_outputs(make_queue: MakeQueue, tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "hello.yml").write_text(FLOW)
    queue = make_queue()
    config = Config().with_overrides({"kestra.storage.local.base-path": str(tmp_path / "storage")})
    server = Server(
        config=config,
        plan=ServerPlan(flows_path=flows, management=False, worker_threads=2),
        queue=queue,
        settings=ServerSettings(heartbeat_interval=0.5),
    )
    server.start()
    try:
        execution_id = uuid.uuid4().hex[:16]
        execution = Execution(id=execution_id, namespace="company.team", flow_id="hello", flow_revision=1)
        message = NewExecution(execution=execution)
        started = time.monotonic()
        queue.producer().produce(TopicRef("executions"), key=execution_id.encode(), value=message.to_json())
        deadline = time.monotonic() + 60
        done = None
        while time.monotonic() < deadline:
            done = final_execution(queue, execution_id)
            if done is not None and done.state.current.is_terminated():
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert done is not None, "no state written"
    assert done.state.current is StateType.SUCCESS, done
    runs = {run.task_id: run for run in done.task_runs()}
    assert runs["values"].outputs == {"values": {"greeting": "hello 42"}}
    assert runs["log"].state.current is StateType.SUCCESS
    print(f"end to end: {elapsed:.2f}s")
    if elapsed > 30:
        pytest.fail(f"too slow: {elapsed:.1f}s")
