"""``kestra-stream flow namespace update`` and ``flow updates`` deploy a directory through the API."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

from api_backends import PASSWORD, USER
from api_helpers import hello_flow
from click.testing import CliRunner

from kestra_stream.cli import main

CREDENTIALS = f"{USER}:{PASSWORD}"


def _get(base: str, path: str) -> tuple[int, object]:
    request = urllib.request.Request(base + path)
    request.add_header("Authorization", "Basic " + base64.b64encode(CREDENTIALS.encode()).decode())
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def test_namespace_update_and_updates(server_base: str, unique: str, tmp_path: Path) -> None:
    runner = CliRunner()
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "a.yml").write_text(hello_flow(unique, flow_id="a"))
    (flows / "b.yaml").write_text(hello_flow(unique, flow_id="b"))
    common = ["--server", server_base, "--user", CREDENTIALS]

    result = runner.invoke(main, ["flow", "namespace", "update", unique, str(flows), *common])
    assert result.exit_code == 0, result.output
    assert "2 flow(s) successfully updated" in result.output

    (flows / "b.yaml").unlink()
    result = runner.invoke(main, ["flow", "namespace", "update", unique, str(flows), "--no-delete", *common])
    assert result.exit_code == 0, result.output
    assert _get(server_base, f"/api/v1/main/flows/{unique}/b")[0] == 200, "--no-delete keeps b"

    result = runner.invoke(main, ["flow", "namespace", "update", unique, str(flows), *common])
    assert result.exit_code == 0, result.output
    assert _get(server_base, f"/api/v1/main/flows/{unique}/b")[0] == 404, "deleted by default"

    (flows / "c.yml").write_text(hello_flow(unique, "changed", flow_id="c"))
    result = runner.invoke(main, ["flow", "updates", str(flows), *common])
    assert result.exit_code == 0, result.output
    status, flow = _get(server_base, f"/api/v1/main/flows/{unique}/c")
    assert status == 200 and isinstance(flow, dict) and flow["revision"] == 1

    (flows / "bad.yml").write_text(f"id: bad\nnamespace: {unique}\ntasks: []\n")
    result = runner.invoke(main, ["flow", "updates", str(flows), *common])
    assert result.exit_code != 0 and "422" in result.output

    wrong = runner.invoke(main, ["flow", "updates", str(flows), "--server", server_base, "--user", "x:y"])
    assert wrong.exit_code != 0 and "401" in wrong.output
