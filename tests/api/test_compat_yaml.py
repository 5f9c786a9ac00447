"""Issue 10 bug 1, YAML maps as Kestra (Jackson) reads them: a key is its scalar's text ("true", "1",
"~", "1.50"), never a bool, int or null. Expected values recorded from real Kestra 1.3.31
(``../shared/kestra-reference/run.sh``)."""

from __future__ import annotations

from api_backends import Api


async def test_switch_with_boolean_case_keys(api: Api, unique: str) -> None:
    source = f"""id: switch_bool
namespace: {unique}
inputs:
  - id: flag
    type: BOOLEAN
    defaults: true
variables:
  1: one
  ~: nothing
  1.50: onefive
tasks:
  - id: switch
    type: io.kestra.plugin.core.flow.Switch
    value: "{{{{ inputs.flag }}}}"
    cases:
      true:
        - id: when_true
          type: io.kestra.plugin.core.debug.Return
          format: "yes {{{{ vars['1'] }}}} {{{{ vars['~'] }}}} {{{{ vars['1.50'] }}}} {{{{ vars | keys }}}}"
      false:
        - id: when_false
          type: io.kestra.plugin.core.debug.Return
          format: "no"
"""
    created = await api.create_flow(source)
    assert sorted(created["tasks"][0]["cases"]) == ["false", "true"]
    assert created["variables"] == {"1": "one", "~": "nothing", "1.50": "onefive"}
    fetched = await api.json("GET", f"/api/v1/main/flows/{unique}/switch_bool")
    assert sorted(fetched["tasks"][0]["cases"]) == ["false", "true"]
    execution = await api.run(unique, "switch_bool")
    done = await api.wait_state(execution["id"], "SUCCESS", "FAILED")
    assert done["state"]["current"] == "SUCCESS", done
    outputs = {run["taskId"]: run.get("outputs") for run in done["taskRunList"]}
    assert outputs["when_true"] == {"value": 'yes one nothing onefive ["1","~","1.50"]'}
    assert "when_false" not in outputs


async def test_yaml_input_with_non_string_keys(api: Api, unique: str) -> None:
    source = f"""id: yaml_input
namespace: {unique}
inputs:
  - id: doc
    type: YAML
    defaults: "true: 1\\n2: b\\n"
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.doc | keys }}}} {{{{ inputs.doc['true'] }}}}"
"""
    await api.create_flow(source)
    execution = await api.run(unique, "yaml_input")
    done = await api.wait_state(execution["id"], "SUCCESS", "FAILED")
    assert done["state"]["current"] == "SUCCESS", done
    assert done["inputs"]["doc"] == {"true": 1, "2": "b"}
    assert done["taskRunList"][0]["outputs"] == {"value": '["true","2"] 1'}
