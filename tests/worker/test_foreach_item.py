"""ForEachItem end to end: the worker runs its internal split and merge jobs (their types are
registered by importing the worker package), the executor starts one child execution per batch."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

from kestra_stream.config import Config
from kestra_stream.executor.messages import NewExecution
from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.models.execution import Execution
from kestra_stream.models.state import StateType
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions, TopicRef
from kestra_stream.server import Server, ServerPlan, ServerSettings

PARENT = """
id: foreach_item
namespace: fei
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "a\\nb\\nc\\nd\\ne\\n"
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ outputs.write.uri }}"
    batch:
      rows: 2
    namespace: fei
    flowId: child
    inputs:
      file: "{{ taskrun.items }}"
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.each_items.numberOfBatches }}"
"""

CHILD = """
id: child
namespace: fei
inputs:
  - id: file
    type: STRING
tasks:
  - id: size
    type: io.kestra.plugin.core.storage.Size
    uri: "{{ inputs.file }}"
outputs:
  - id: size
    type: INT
    value: "{{ outputs.size.size }}"
"""


def test_worker_package_registers_the_internal_job_types() -> None:
    code = (
        "import kestra_stream.worker\n"
        "from kestra_stream.plugins.registry import registry\n"
        "for name in ('ForEachItemSplit', 'ForEachItemMergeOutputs'):\n"
        "    registry.resolve('io.kestra.plugin.core.flow.ForEachItem$' + name)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_foreach_item_runs_end_to_end_in_memory(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "parent.yml").write_text(PARENT)
    (flows / "child.yml").write_text(CHILD)
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=4))
    server = Server(
        config=Config().with_overrides({"kestra.storage.local.base-path": str(tmp_path / "storage")}),
        plan=ServerPlan(flows_path=flows, management=False, worker_threads=4),
        queue=queue,
        settings=ServerSettings(heartbeat_interval=0.5),
    )
    server.start()
    execution_id = uuid.uuid4().hex[:16]
    try:
        execution = Execution(id=execution_id, namespace="fei", flow_id="foreach_item", flow_revision=1)
        queue.producer().produce(
            TopicRef("executions"),
            key=execution_id.encode(),
            value=NewExecution(execution=execution).to_json(),
        )
        deadline = time.monotonic() + 60
        latest: dict[str, Execution] = {}
        while time.monotonic() < deadline:
            for record in queue.read_partitions(TopicRef("execution-states"), range(4)):
                if record.key is not None and record.value is not None:
                    latest[record.key.decode()] = execution_from_bytes(record.value)
            parent = latest.get(execution_id)
            if parent is not None and parent.state.current.is_terminated():
                break
            time.sleep(0.1)
    finally:
        server.stop()
    parent = latest[execution_id]
    assert parent.state.current is StateType.SUCCESS, [
        (run.task_id, run.state.current) for run in parent.task_runs()
    ]
    runs = {run.task_id: run for run in parent.task_runs()}
    assert runs["each_split"].state.current is StateType.SUCCESS
    assert runs["each_merge"].state.current is StateType.SUCCESS
    assert runs["after"].outputs == {"value": "3"}
    children = [e for e in latest.values() if e.flow_id == "child"]
    assert len(children) == 3
    assert all(child.state.current is StateType.SUCCESS for child in children)
    assert sorted(child.outputs["size"] for child in children if child.outputs) == [2, 4, 4]
