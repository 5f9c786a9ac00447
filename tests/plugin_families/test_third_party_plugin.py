"""The README's third-party plugin package, as written there, installed next to kestra-stream: its
entry point registers the task, flows using it validate (and a wrong property is rejected), and its
schema and documentation are served like any plugin's."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _readme_block(language: str, marker: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    (block,) = [block for block in blocks if marker in block]
    return block


def _install(site: Path) -> None:
    """What ``pip install`` leaves: the package and its dist-info with the entry points."""
    package = site / "acme_kestra"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(_readme_block("python", "acme_kestra/__init__.py"))
    declared = tomllib.loads(_readme_block("toml", "kestra_stream.plugins"))["project"]["entry-points"]
    ((group, entries),) = declared.items()
    dist = site / "acme_kestra-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kestra\nVersion: 1.0\n")
    lines = [f"{name} = {value}" for name, value in entries.items()]
    (dist / "entry_points.txt").write_text(f"[{group}]\n" + "\n".join(lines) + "\n")


def test_the_readme_plugin_package_registers_validates_and_documents(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install(site)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    good = tmp_path / "good.yml"
    good.write_text(
        "id: hi\nnamespace: acme\ntasks:\n  - id: hello\n    type: com.acme.Hello\n    name: Ada\n"
    )
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "id: hi\nnamespace: acme\ntasks:\n  - id: hello\n    type: com.acme.Hello\n    nmae: Ada\n"
    )
    cli = [sys.executable, "-m", "kestra_stream", "flow", "validate", str(good), str(bad)]
    checked = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    output = checked.stdout + checked.stderr
    assert checked.returncode == 1 and "bad.yml:6:5" in output and "nmae" in output, output
    assert "good.yml:" not in output.replace(f"{good}: OK", ""), output
    script = (
        "import json\n"
        "from kestra_stream.flows import plugin_json_schema\n"
        "from kestra_stream.plugins import registry\n"
        "from kestra_stream.webserver.plugins import plugin_list\n"
        "schema = plugin_json_schema('com.acme.Hello')\n"
        "cls = registry.resolve('com.acme.Hello')\n"
        "listed = [t for g in plugin_list(registry) for t in g['tasks']]\n"
        "print(json.dumps({'doc': cls.__doc__, 'listed': 'com.acme.Hello' in listed,\n"
        "                  'defs': list(schema['$defs'])}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["listed"] and result["doc"].startswith("Say hello")
