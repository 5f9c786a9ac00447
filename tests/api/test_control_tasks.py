"""Control-plane tasks of issue 10 through the API, on both backends: ``execution.Count``/``Resume``/
``PurgeExecutions``, ``log.Fetch``/``PurgeLogs`` and ``trigger.Toggle`` run on a worker and reach the
repository and the command topics like the API does.

The memory backend here is assembled as ``server local`` is (the engine's indexer fills the memory
repository the web app reads), since these tasks read the repository from the worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_backends import Api, memory_backend, memory_config

from kestra_stream.ion import loads

MAIN = "/api/v1/main"


@pytest.fixture
def memory_server(tmp_path: Path) -> Iterator[str]:
    with memory_backend(memory_config(tmp_path), shared_repository=True) as base:
        yield base


def _logging_flow(namespace: str) -> str:
    return f"""id: talk
namespace: {namespace}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "hello {{{{ execution.id }}}}"
  - id: warn
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: careful
"""


async def _run_done(api: Api, namespace: str, flow_id: str, inputs: dict[str, Any] | None = None) -> Any:
    created = await api.run(namespace, flow_id, inputs=inputs)
    return await api.wait_state(created["id"], "SUCCESS", "FAILED", "WARNING", "KILLED", timeout=60)


async def _failure(api: Api, execution: dict[str, Any]) -> Any:
    """What failed: the task run states and the execution's WARN/ERROR lines (once indexed)."""
    logs = await api.eventually(f"{MAIN}/logs/{execution['id']}?minLevel=WARN", lambda body: len(body) > 0)
    states = {run["taskId"]: run["state"]["current"] for run in execution["taskRunList"]}
    return states, [entry["message"] for entry in logs]


def _outputs(execution: dict[str, Any], task_id: str) -> dict[str, Any]:
    for run in execution["taskRunList"]:
        if run["taskId"] == task_id:
            return dict(run.get("outputs") or {})
    raise AssertionError(f"no task run {task_id}: {[run['taskId'] for run in execution['taskRunList']]}")


async def test_count_fetch_and_purge_logs(api: Api, unique: str) -> None:
    await api.create_flow(_logging_flow(unique))
    talked = await _run_done(api, unique, "talk")
    assert talked["state"]["current"] == "SUCCESS"
    await api.eventually(f"{MAIN}/logs/{talked['id']}", lambda body: len(body) >= 2)
    await api.eventually(
        f"{MAIN}/executions/search?filters[namespace][EQUALS]={unique}&filters[state][EQUALS]=SUCCESS",
        lambda body: body["total"] == 1,
    )
    await api.create_flow(f"""id: admin
namespace: {unique}
inputs:
  - id: target
    type: STRING
tasks:
  - id: counts
    type: io.kestra.plugin.core.execution.Count
    expression: "{{{{ count >= 1 }}}}"
    flows:
      - namespace: {unique}
        flowId: talk
      - namespace: {unique}
        flowId: nothing_here
    states: [SUCCESS]
    startDate: "{{{{ now() | dateAdd(-1, 'DAYS') }}}}"
  - id: by_namespace
    type: io.kestra.plugin.core.execution.Count
    expression: "{{{{ count == 0 }}}}"
    namespaces: ["{unique}.nobody"]
    startDate: "{{{{ now() | dateAdd(-1, 'DAYS') }}}}"
  - id: fetch
    type: io.kestra.plugin.core.log.Fetch
    namespace: {unique}
    flowId: talk
    executionId: "{{{{ inputs.target }}}}"
  - id: fetch_warn
    type: io.kestra.plugin.core.log.Fetch
    namespace: {unique}
    flowId: talk
    executionId: "{{{{ inputs.target }}}}"
    level: WARN
  - id: fetch_other_flow
    type: io.kestra.plugin.core.log.Fetch
    executionId: "{{{{ inputs.target }}}}"
    tasksId: [warn, hello]
  - id: content
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ read(outputs.fetch.uri) }}}}"
  - id: purge_logs
    type: io.kestra.plugin.core.log.PurgeLogs
    executionId: "{{{{ inputs.target }}}}"
    logLevels: [WARN]
    endDate: "{{{{ now() }}}}"
""")
    done = await _run_done(api, unique, "admin", inputs={"target": talked["id"]})
    assert done["state"]["current"] == "SUCCESS", await _failure(api, done)
    # shapes recorded from Kestra 1.3.31 (../shared/kestra-reference/run.sh)
    assert _outputs(done, "counts") == {
        "results": [{"namespace": unique, "flowId": "talk", "count": 1}],
        "total": 1,
    }
    assert _outputs(done, "by_namespace") == {
        "results": [{"namespace": f"{unique}.nobody", "count": 0}],
        "total": 0,
    }
    # the two task lines, and the executor's own "Execution ended" line (taskId null)
    assert _outputs(done, "fetch")["size"] == 3
    assert _outputs(done, "fetch_warn")["size"] == 1
    assert _outputs(done, "fetch_other_flow")["size"] == 0  # looked for in the current flow, as Kestra
    lines = [loads(line) for line in _outputs(done, "content")["value"].splitlines()]
    assert [line["taskId"] for line in lines] == ["hello", "warn", None]
    assert lines[0]["message"] == f"hello {talked['id']}"
    assert list(lines[0]) == [
        "tenantId", "namespace", "flowId", "taskId", "executionId", "taskRunId", "attemptNumber",
        "triggerId", "timestamp", "level", "thread", "message", "executionKind", "progress",
    ]  # fmt: skip
    assert _outputs(done, "purge_logs") == {"count": 1}
    # deletes are visible once Elasticsearch refreshes
    await api.eventually(
        f"{MAIN}/logs/{talked['id']}", lambda body: [entry["level"] for entry in body] == ["INFO", "INFO"]
    )


async def test_resume_a_paused_execution_from_another_flow(api: Api, unique: str) -> None:
    await api.create_flow(f"""id: paused
namespace: {unique}
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: resumed
""")
    await api.create_flow(f"""id: resumer
namespace: {unique}
inputs:
  - id: target
    type: STRING
tasks:
  - id: resume
    type: io.kestra.plugin.core.execution.Resume
    namespace: {unique}
    flowId: paused
    executionId: "{{{{ inputs.target }}}}"
""")
    paused = await api.run(unique, "paused")
    await api.wait_state(paused["id"], "PAUSED", timeout=60)
    await api.eventually(
        f"{MAIN}/executions/search?filters[namespace][EQUALS]={unique}&filters[state][EQUALS]=PAUSED",
        lambda body: body["total"] == 1,
    )
    done = await _run_done(api, unique, "resumer", inputs={"target": paused["id"]})
    assert done["state"]["current"] == "SUCCESS", await _failure(api, done)
    resumed = await api.wait_state(paused["id"], "SUCCESS", timeout=60)
    assert _outputs(resumed, "after") == {"value": "resumed"}
    missing = await _run_done(api, unique, "resumer", inputs={"target": "nope"})
    assert missing["state"]["current"] == "FAILED"


async def test_toggle_disables_and_enables_a_trigger_through_the_scheduler(api: Api, unique: str) -> None:
    await api.create_flow(f"""id: scheduled
namespace: {unique}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: tick
triggers:
  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 0 1 1 *"
""")
    await api.create_flow(f"""id: toggler
namespace: {unique}
inputs:
  - id: enabled
    type: BOOLEAN
tasks:
  - id: toggle
    type: io.kestra.plugin.core.trigger.Toggle
    flowId: scheduled
    trigger: tick
    enabled: false
  - id: enable
    type: io.kestra.plugin.core.trigger.Toggle
    runIf: "{{{{ inputs.enabled }}}}"
    flowId: scheduled
    trigger: tick
    enabled: true
  - id: unknown
    type: io.kestra.plugin.core.trigger.Toggle
    runIf: "{{{{ inputs.enabled == false }}}}"
    flowId: scheduled
    trigger: nope
""")
    search = f"{MAIN}/triggers/search?filters[namespace][EQUALS]={unique}"

    def disabled(value: bool) -> Any:
        return lambda body: (
            body["total"] == 1 and body["results"][0]["triggerContext"].get("disabled") is value
        )

    await api.eventually(search, lambda body: body["total"] == 1, timeout=60)
    off = await _run_done(api, unique, "toggler", inputs={"enabled": "false"})
    assert off["state"]["current"] == "FAILED"  # `unknown` names a trigger the flow does not have
    assert [run["state"]["current"] for run in off["taskRunList"]] == ["SUCCESS", "SKIPPED", "FAILED"]
    await api.eventually(search, disabled(True), timeout=60)
    on = await _run_done(api, unique, "toggler", inputs={"enabled": "true"})
    assert on["state"]["current"] == "SUCCESS", on["taskRunList"]
    await api.eventually(search, disabled(False), timeout=60)


async def _gone(api: Api, path: str, timeout: float = 30.0) -> None:
    """404 once the executor's tombstone reached the webserver and Elasticsearch refreshed."""
    deadline = time.monotonic() + timeout
    while True:
        async with api.request("GET", path) as response:
            if response.status == 404:
                return
        assert time.monotonic() < deadline, f"GET {path} still answers {response.status}"
        await asyncio.sleep(0.2)


async def test_purge_executions_deletes_executions_logs_and_files(api: Api, unique: str) -> None:
    await api.create_flow(f"""id: producer
namespace: {unique}
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: data
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: produced
""")
    first = await _run_done(api, unique, "producer")
    second = await _run_done(api, unique, "producer")
    for execution in (first, second):
        assert execution["state"]["current"] == "SUCCESS"
        await api.eventually(f"{MAIN}/logs/{execution['id']}", lambda body: len(body) >= 1)
    await api.eventually(
        f"{MAIN}/executions/search?filters[namespace][EQUALS]={unique}&filters[flowId][EQUALS]=producer"
        "&filters[state][EQUALS]=SUCCESS",
        lambda body: body["total"] == 2,
    )
    await api.create_flow(f"""id: purge
namespace: {unique}
tasks:
  - id: purge
    type: io.kestra.plugin.core.execution.PurgeExecutions
    namespace: {unique}
    flowId: producer
    endDate: "{{{{ now() }}}}"
    states: [SUCCESS]
    batchSize: 1
""")
    done = await _run_done(api, unique, "purge")
    assert done["state"]["current"] == "SUCCESS", done["taskRunList"]
    counts = _outputs(done, "purge")
    assert counts["executionsCount"] == 2
    assert counts["logsCount"] >= 2
    assert counts["storagesCount"] == 2
    for execution in (first, second):
        await _gone(api, f"{MAIN}/executions/{execution['id']}")
        await api.eventually(f"{MAIN}/logs/{execution['id']}", lambda body: body == [])
    uri = _outputs(first, "write")["uri"]
    await api.json("GET", f"{MAIN}/executions/{first['id']}/file", params={"path": uri}, expect=404)


async def test_template_task_is_refused_as_kestra_refuses_it(api: Api, unique: str) -> None:
    source = f"""id: templated
namespace: {unique}
tasks:
  - id: template
    type: io.kestra.plugin.core.flow.Template
    namespace: {unique}
    templateId: shared
"""
    async with api.request(
        "POST", f"{MAIN}/flows", data=source, headers={"Content-Type": "application/x-yaml"}
    ) as response:
        assert response.status == 422
        body = await response.text()
    assert "Templates are disabled, please check your configuration" in body
