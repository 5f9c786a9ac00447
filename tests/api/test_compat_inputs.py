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
