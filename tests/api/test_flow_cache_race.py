"""A flow is executable the moment the API answered its creation (or update): the executor catches its
flow cache up with the flows topic on a miss instead of failing "Unable to find flow"."""

from __future__ import annotations

import asyncio

from api_backends import Api
from api_helpers import YAML, hello_flow

BASE = "/api/v1/main/executions"


async def test_execute_right_after_create_20_times(api: Api, unique: str) -> None:
    created: list[str] = []
    for index in range(20):
        await api.create_flow(hello_flow(unique, flow_id=f"race{index}"))
        execution = await api.run(unique, f"race{index}")
        created.append(execution["id"])
    ended = await asyncio.gather(
        *(api.wait_state(execution_id, "SUCCESS", "FAILED", "WARNING", "KILLED") for execution_id in created)
    )
    failed = {e["id"]: e["state"]["current"] for e in ended if e["state"]["current"] != "SUCCESS"}
    assert not failed, f"executions submitted right after their flow did not succeed: {failed}"


async def test_execute_right_after_update_runs_the_new_revision(api: Api, unique: str) -> None:
    await api.create_flow(hello_flow(unique, "v1"))
    for revision in range(2, 6):
        updated = await api.json(
            "PUT", f"/api/v1/main/flows/{unique}/hello", data=hello_flow(unique, f"v{revision}"), headers=YAML
        )
        assert updated["revision"] == revision
        execution = await api.run(unique, "hello")
        assert execution["flowRevision"] == revision
        ended = await api.wait_state(execution["id"], "SUCCESS", "FAILED")
        assert ended["state"]["current"] == "SUCCESS", ended
        logs = await api.eventually(
            f"/api/v1/main/logs/{execution['id']}",
            lambda lines: any("hello" in line["message"] for line in lines),
        )
        assert any(line["message"] == f"hello v{revision}" for line in logs), logs


def _parent_flow(namespace: str) -> str:
    return f"""id: parent
namespace: {namespace}
inputs:
  - id: child
    type: STRING
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: {namespace}
    flowId: "{{{{ inputs.child }}}}"
"""


async def test_subflow_to_a_flow_created_right_before_the_parents_execution(api: Api, unique: str) -> None:
    """The parent is known to the executor already, only the child is new (issue 10 bug 11): the
    child's flow must be visible to the executor as the API answered its creation."""
    await api.create_flow(hello_flow(unique, flow_id="warmup"))
    await api.create_flow(_parent_flow(unique))
    first = await api.run(unique, "parent", inputs={"child": "warmup"})
    assert (await api.wait_state(first["id"], "SUCCESS", "FAILED"))["state"]["current"] == "SUCCESS"
    created: list[str] = []
    for index in range(10):
        await api.create_flow(hello_flow(unique, flow_id=f"child{index}"))
        execution = await api.run(unique, "parent", inputs={"child": f"child{index}"})
        created.append(execution["id"])
    ended = await asyncio.gather(
        *(api.wait_state(execution_id, "SUCCESS", "FAILED", "WARNING", "KILLED") for execution_id in created)
    )
    failed = {e["id"]: e["state"]["current"] for e in ended if e["state"]["current"] != "SUCCESS"}
    assert not failed, f"subflow calls to a flow created just before failed: {failed}"
