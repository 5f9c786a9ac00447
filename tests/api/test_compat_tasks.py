"""Issue 10, task properties Kestra accepts: ForEachItem ``batch`` with several sizes (bug 7), the
legacy Docker runner alias (bug 10). Expected values recorded from real Kestra 1.3.31
(``../shared/kestra-reference/run.sh``)."""

from __future__ import annotations

from api_backends import Api

BASE = "/api/v1/main/executions"


def child_flow(namespace: str) -> str:
    return f"""id: fei_child
namespace: {namespace}
inputs:
  - id: file
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ read(inputs.file) | trim | replace({{'\\\\n': ','}}) }}}}"
"""


def parent_flow(namespace: str, flow_id: str, batch: str) -> str:
    return f"""id: {flow_id}
namespace: {namespace}
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "a\\nb\\nc\\nd\\ne\\nf\\ng\\n"
    extension: .txt
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{{{ outputs.write.uri }}}}"
    batch:
{batch}
    namespace: {namespace}
    flowId: fei_child
    inputs:
      file: "{{{{ taskrun.items }}}}"
"""


async def test_foreach_item_batch_sizes_take_kestras_precedence(api: Api, unique: str) -> None:
    """The docs' example sets ``rows``, ``bytes`` and ``partitions`` together: ``bytes`` wins, then
    ``partitions`` (Kestra: 4 batches of 4 bytes; 2 partitions)."""
    await api.create_flow(child_flow(unique))
    cases = {
        "all_three": ("      rows: 1\n      bytes: 4\n      partitions: 2", 4, ["a,b", "c,d", "e,f", "g"]),
        "rows_partitions": ("      rows: 3\n      partitions: 2", 2, ["a,c,e,g", "b,d,f"]),
    }
    for flow_id, (batch, batches, shown) in cases.items():
        await api.create_flow(parent_flow(unique, flow_id, batch))
        execution = await api.run(unique, flow_id)
        done = await api.wait_state(execution["id"], "SUCCESS", "FAILED", "WARNING", timeout=90)
        assert done["state"]["current"] == "SUCCESS", done
        items = next(run for run in done["taskRunList"] if run["taskId"] == "each_items")
        assert items["outputs"]["numberOfBatches"] == batches, items
        children = await api.eventually(
            f"{BASE}/search?filters[namespace][EQUALS]={unique}&filters[flowId][EQUALS]=fei_child"
            f"&filters[labels][EQUALS][system.correlationId]={done['id']}",
            lambda page, n=batches: (
                page["total"] == n and all(e["state"]["current"] == "SUCCESS" for e in page["results"])
            ),
            timeout=60,
        )
        values = sorted(e["taskRunList"][0]["outputs"]["value"] for e in children["results"])
        assert values == sorted(shown), values


async def test_legacy_docker_task_runner_alias(api: Api, unique: str) -> None:
    """``io.kestra.plugin.scripts.runner.docker.DockerTaskRunner`` is the Docker runner's old name."""
    flow = await api.create_flow(f"""id: legacy_runner
namespace: {unique}
tasks:
  - id: shell
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.DockerTaskRunner
      pullPolicy: NEVER
    containerImage: ubuntu:22.04
    commands:
      - echo legacy runner
""")
    assert flow["tasks"][0]["taskRunner"]["type"] == "io.kestra.plugin.scripts.runner.docker.DockerTaskRunner"
    execution = await api.run(unique, "legacy_runner")
    done = await api.wait_state(execution["id"], "SUCCESS", "FAILED", "WARNING", timeout=60)
    assert done["state"]["current"] == "SUCCESS", done
    logs = await api.eventually(
        f"/api/v1/main/logs/{done['id']}",
        lambda lines: any("legacy runner" in line["message"] for line in lines),
    )
    assert logs
