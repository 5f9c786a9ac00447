"""Flows and helpers shared by the API tests."""

from __future__ import annotations

YAML = {"Content-Type": "application/x-yaml"}


def hello_flow(namespace: str, message: str = "v1", *, flow_id: str = "hello") -> str:
    return f"""id: {flow_id}
namespace: {namespace}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "hello {message}"
"""


def inputs_flow(namespace: str) -> str:
    return f"""id: inputs
namespace: {namespace}
labels:
  team: data
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
    defaults: 1
  - id: file
    type: FILE
    required: false
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ inputs.name }}}} x {{{{ inputs.count }}}}"
outputs:
  - id: greeting
    type: STRING
    value: "hi {{{{ inputs.name }}}}"
"""


def sleep_flow(namespace: str, duration: str = "PT30S") -> str:
    return f"""id: sleepy
namespace: {namespace}
tasks:
  - id: sleep
    type: io.kestra.plugin.core.flow.Sleep
    duration: {duration}
"""


def fail_flow(namespace: str) -> str:
    return f"""id: failing
namespace: {namespace}
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: boom
"""


def pause_flow(namespace: str) -> str:
    return f"""id: pausing
namespace: {namespace}
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
      - id: level
        type: INT
        required: false
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "approved={{{{ outputs.pause.onResume.approved }}}}"
"""


def webhook_flow(namespace: str, *, wait: bool = False) -> str:
    extra = "\n    wait: true\n    returnOutputs: true" if wait else ""
    return f"""id: hooked
namespace: {namespace}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.body.name ?? 'none' }}}}"
outputs:
  - id: name
    type: STRING
    value: "{{{{ trigger.body.name ?? 'none' }}}}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: secret-{namespace}{extra}
"""
