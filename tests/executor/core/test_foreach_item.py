"""ForEachItem through the harness, with the real split/merge jobs on local storage."""

from __future__ import annotations

from pathlib import Path

from kestra_stream.executor.messages import KillExecution
from kestra_stream.models import StateType
from kestra_stream.storage import LocalStorage

from .harness import Harness, fail, hang

NS = "namespace: company.team\n"

PARENT = f"""id: parent
{NS}tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "a\\nb\\nc\\nd\\ne\\n"
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{{{ outputs.write.uri }}}}"
    batch:
      rows: 2
    namespace: company.team
    flowId: child
    inputs:
      file: "{{{{ taskrun.items }}}}"
      index: "{{{{ taskrun.iteration }}}}"
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.each_items.numberOfBatches }}}}|{{{{ outputs.each_merge.subflowOutputs }}}}"
"""

CHILD = f"""id: child
{NS}inputs:
  - id: file
    type: STRING
  - id: index
    type: INT
tasks:
  - id: size
    type: io.kestra.plugin.core.storage.Size
    uri: "{{{{ inputs.file }}}}"
outputs:
  - id: size
    type: INT
    value: "{{{{ outputs.size.size }}}}"
  - id: index
    type: INT
    value: "{{{{ inputs.index }}}}"
"""


def _read(tmp_path: Path, uri: str) -> bytes:
    storage = LocalStorage(base_path=tmp_path / "storage")
    with storage.get(uri) as stream:
        return stream.read()


def test_foreach_item_splits_runs_one_child_per_batch_and_merges_outputs(tmp_path: Path) -> None:
    h = Harness((PARENT, CHILD), real_tasks=True, work_dir=tmp_path)
    execution_id = h.start("parent")
    assert h.state_of(execution_id) is StateType.SUCCESS, h.task_states(execution_id)
    runs = h.runs(execution_id)
    assert h.order(execution_id) == ["write", "each", "each_split", "each_items", "each_merge", "after"]
    split = runs["each_split"][0].outputs
    assert split["numberOfBatches"] == 3
    listing = _read(tmp_path, split["splits"]).decode().split()
    assert len(listing) == 3
    assert [_read(tmp_path, uri) for uri in listing] == [b"a\nb\n", b"c\nd\n", b"e\n"]
    items = runs["each_items"][0].outputs
    assert items == {"numberOfBatches": 3, "iterations": {"SUCCESS": 3}}
    children = [e for e in (s.execution for s in h.states.values()) if e.flow_id == "child"]
    assert sorted((c.inputs or {})["index"] for c in children) == [0, 1, 2]
    assert all((c.inputs or {})["file"] in listing for c in children)
    labels = {label.key: label.value for label in children[0].labels or ()}
    assert labels["system.correlationId"] == execution_id
    merged = runs["each_merge"][0].outputs["subflowOutputs"]
    # Kestra writes the merged outputs as ION, one struct per line
    assert _read(tmp_path, merged) == b"{size:4,index:0}\n{size:4,index:1}\n{size:2,index:2}\n"
    assert runs["after"][0].outputs["value"].startswith("3|kestra://")


def test_foreach_item_failed_child_fails_the_task_and_kill_cascades(tmp_path: Path) -> None:
    h = Harness((PARENT, CHILD), real_tasks=True, work_dir=tmp_path)
    h.behaviors["size"] = fail
    execution_id = h.start("parent")
    assert h.state_of(execution_id) is StateType.FAILED
    assert h.runs(execution_id)["each_items"][0].outputs["iterations"] == {"FAILED": 3}
    assert "each_merge" not in h.runs(execution_id)

    h = Harness((PARENT, CHILD), real_tasks=True, work_dir=tmp_path / "kill")
    h.behaviors["size"] = hang
    execution_id = h.start("parent")
    assert h.run_state(execution_id, "each_items") is StateType.RUNNING
    h.send(KillExecution(execution_id=execution_id), run=True)
    assert h.state_of(execution_id) is StateType.KILLED
    children = [s.execution for s in h.states.values() if s.execution.flow_id == "child"]
    assert {child.state.current for child in children} == {StateType.KILLED}
    assert h.runs(execution_id)["each_items"][0].outputs["iterations"] == {"KILLED": 3}
