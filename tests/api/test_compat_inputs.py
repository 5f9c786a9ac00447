"""Issue 10, inputs through the API as Kestra takes them: the legacy ``files`` upload form (bug 2),
``kv()`` in a dynamic SELECT's ``expression`` (bug 4), errors rendering ``expression``/``defaults``
as a 422 naming the input (bug 5)."""

from __future__ import annotations

import aiohttp
from api_backends import Api

BASE = "/api/v1/main/executions"


def file_flow(namespace: str) -> str:
    return f"""id: upload
namespace: {namespace}
inputs:
  - id: myfile
    type: FILE
  - id: other
    type: FILE
    required: false
tasks:
  - id: content
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ read(inputs.myfile) }}}}"
"""


async def test_file_input_legacy_files_part(api: Api, unique: str) -> None:
    """``curl -F "files=@data.txt;filename=myfile"``: the part named ``files`` whose filename is an
    input id feeds that input (Kestra 1.3.31 takes it, with a WARN in the execution's logs)."""
    await api.create_flow(file_flow(unique))
    form = aiohttp.FormData()
    form.add_field("files", b"legacy content", filename="myfile")
    form.add_field("files", b"second file", filename="other")
    execution = await api.json("POST", f"{BASE}/{unique}/upload", params={"wait": "true"}, data=form)
    assert execution["state"]["current"] == "SUCCESS", execution
    assert execution["inputs"]["myfile"].endswith(f"/executions/{execution['id']}/inputs/myfile/myfile")
    assert execution["inputs"]["other"].endswith("/inputs/other/other")
    assert execution["taskRunList"][0]["outputs"] == {"value": "legacy content"}
    logs = await api.eventually(
        f"/api/v1/main/logs/{execution['id']}",
        lambda lines: any("deprecated way to upload a FILE input" in line["message"] for line in lines),
    )
    assert any(line["level"] == "WARN" for line in logs), logs


async def test_file_input_part_named_by_input(api: Api, unique: str) -> None:
    """``curl -F "myfile=@data.txt"``: the current form; a ``files`` part whose filename is no input
    id is not an input (the required one is missing)."""
    await api.create_flow(file_flow(unique))
    form = aiohttp.FormData()
    form.add_field("myfile", b"current content", filename="data.txt")
    execution = await api.json("POST", f"{BASE}/{unique}/upload", params={"wait": "true"}, data=form)
    assert execution["state"]["current"] == "SUCCESS", execution
    assert execution["inputs"]["myfile"].endswith("/inputs/myfile/data.txt")
    assert execution["taskRunList"][0]["outputs"] == {"value": "current content"}

    stray = aiohttp.FormData()
    stray.add_field("files", b"x", filename="data.txt")
    error = await api.json("POST", f"{BASE}/{unique}/upload", data=stray, expect=422)
    assert "myfile" in error["message"] and "missing required input" in error["message"], error


def kv_select_flow(namespace: str) -> str:
    return f"""id: selkv
namespace: {namespace}
inputs:
  - id: department
    type: SELECT
    expression: "{{{{ kv('departments') }}}}"
  - id: several
    type: MULTISELECT
    expression: "{{{{ kv('departments') }}}}"
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.department }}}} {{{{ inputs.several }}}}"
"""


def form(**values: str) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for key, value in values.items():
        data.add_field(key, value)
    if not values:
        data.add_field("unrelated", "x")  # an empty multipart body is not one
    return data


async def test_kv_in_select_expression(api: Api, unique: str) -> None:
    """The dynamic dropdown of Kestra's docs: SELECT/MULTISELECT values from ``kv()`` (recorded on
    Kestra 1.3.31: SUCCESS with ``Sales ["Sales","Engineering"]``, a value outside is refused)."""
    await api.json(
        "PUT",
        f"/api/v1/main/namespaces/{unique}/kv/departments",
        data='["Sales", "Engineering"]',
        headers={"Content-Type": "application/json"},
    )
    await api.create_flow(kv_select_flow(unique))
    chosen = form(department="Sales", several='["Sales","Engineering"]')
    execution = await api.json("POST", f"{BASE}/{unique}/selkv", params={"wait": "true"}, data=chosen)
    assert execution["state"]["current"] == "SUCCESS", execution
    assert execution["inputs"] == {"department": "Sales", "several": ["Sales", "Engineering"]}
    assert execution["taskRunList"][0]["outputs"] == {"value": 'Sales ["Sales","Engineering"]'}

    outside = form(department="Marketing", several='["Sales"]')
    error = await api.json("POST", f"{BASE}/{unique}/selkv", data=outside, expect=422)
    assert "department" in error["message"] and "Sales, Engineering" in error["message"], error
    checked = await api.json("POST", f"{BASE}/{unique}/selkv/validate", data=form(department="Sales"))
    assert checked["inputs"][0]["input"]["values"] == ["Sales", "Engineering"], checked


async def test_input_rendering_errors_are_422(api: Api, unique: str) -> None:
    """Whatever fails while rendering an input's ``expression`` or ``defaults`` refuses the execution
    with a 422 naming the input and Kestra's cause (recorded on Kestra 1.3.31); nothing is created."""
    flows = {
        "missingkv": ("SELECT", "expression", "{{ kv('nothing_here') }}"),
        "badsyntax": ("SELECT", "expression", "{{ [1, 2 }}"),
        "notalist": ("SELECT", "expression", "{{ 42 }}"),
        "baddefault": ("STRING", "defaults", "{{ undefined_thing.value }}"),
        "badcondition": ("STRING", "dependsOn", "{{ 1 / 0 }}"),
    }
    expected = {
        "missingkv": "Cannot render 'expression'. Cause: ",
        "badsyntax": "Cannot render 'expression'. Cause: ",
        "notalist": "Invalid expression result. Expected a list of strings",
        "baddefault": "undefined_thing",
        "badcondition": "Invalid condition. Cause: ",
    }
    for flow_id, (kind, key, template) in flows.items():
        if key == "dependsOn":
            prop = f'dependsOn:\n      inputs: [first]\n      condition: "{template}"'
        else:
            prop = f'{key}: "{template}"'
        await api.create_flow(f"""id: {flow_id}
namespace: {unique}
inputs:
  - id: first
    type: STRING
    defaults: one
  - id: choice
    type: {kind}
    {prop}
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.choice }}}}"
""")
        values = form() if key == "defaults" else form(choice="a")
        error = await api.json("POST", f"{BASE}/{unique}/{flow_id}", data=values, expect=422)
        assert "`choice`" in error["message"] and expected[flow_id] in error["message"], (flow_id, error)
        assert error["_embedded"]["errors"], error
        if flow_id == "missingkv":
            assert "The key 'nothing_here' does not exist" in error["message"], error
