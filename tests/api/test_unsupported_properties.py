"""A property kestra-stream accepts but does not implement is a WARN in the execution log, never
ignored silently (Plugin.unsupported_properties, tests/flows/test_schema_properties.py); a task's
`logLevel` drops its lines below that level. Both backends."""

from __future__ import annotations

from api_backends import Api

MAIN = "/api/v1/main"


def _flow(namespace: str) -> str:
    return f"""id: unsupported
namespace: {namespace}
tasks:
  - id: quiet
    type: io.kestra.plugin.core.log.Log
    logLevel: WARN
    message: "an INFO line under logLevel WARN"
  - id: filed
    type: io.kestra.plugin.core.log.Log
    logToFile: true
    message: "kept"
  - id: done
    type: io.kestra.plugin.core.debug.Return
    format: "done"
"""


async def test_unsupported_property_warns_in_the_execution_log(api: Api, unique: str) -> None:
    await api.create_flow(_flow(unique))
    execution = await api.run(unique, "unsupported")
    done = await api.wait_state(execution["id"], "SUCCESS", "FAILED", timeout=60)
    assert done["state"]["current"] == "SUCCESS", done
    logs = await api.eventually(
        f"{MAIN}/logs/{execution['id']}", lambda found: any(log.get("taskId") == "filed" for log in found)
    )
    warnings = [log["message"] for log in logs if log["level"] == "WARN"]
    assert any(
        "`logToFile` of `filed` (io.kestra.plugin.core.log.Log) is not supported" in message
        for message in warnings
    ), warnings
    assert not any(log.get("taskId") == "quiet" and log["level"] == "INFO" for log in logs), logs
