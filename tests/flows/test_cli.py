from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kestra_stream.cli import main

HERE = Path(__file__).parent
VALID = HERE / "examples" / "e01_hello_world.yaml"
INVALID = HERE / "invalid" / "unknown_task_type.yaml"


def test_valid_file_prints_ok() -> None:
    result = CliRunner().invoke(main, ["flow", "validate", str(VALID)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{VALID}: OK\n"


def test_directories_are_searched_recursively() -> None:
    result = CliRunner().invoke(main, ["flow", "validate", str(HERE / "examples")])
    assert result.exit_code == 0, result.output
    assert result.output.count(": OK") == 25


def test_invalid_file_prints_located_violations_and_fails() -> None:
    result = CliRunner().invoke(main, ["flow", "validate", str(VALID), str(INVALID)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{VALID}: OK" in lines
    assert (
        f"{INVALID}:11:9: tasks[0].then[0].type: Invalid type: io.kestra.plugin.core.log.Logg "
        "(did you mean io.kestra.plugin.core.log.Log?)" in lines
    )


def test_global_defaults_from_config_file(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yml"
    flow.write_text("id: f\nnamespace: n\ntasks:\n  - {id: a, type: io.kestra.plugin.core.log.Log}\n")
    config = tmp_path / "application.yml"
    config.write_text(
        "kestra:\n  plugins:\n    defaults:\n"
        "      - type: io.kestra.plugin.core.log\n        values: {message: hi}\n"
    )
    assert CliRunner().invoke(main, ["flow", "validate", str(flow)]).exit_code == 1
    result = CliRunner().invoke(main, ["flow", "validate", "--config", str(config), str(flow)])
    assert result.exit_code == 0, result.output


def test_schema_command_prints_json() -> None:
    result = CliRunner().invoke(main, ["flow", "schema"])
    assert result.exit_code == 0
    assert '"$defs"' in result.output


def test_real_command_exit_codes_and_positions() -> None:
    command = [sys.executable, "-m", "kestra_stream", "flow", "validate"]
    ok = subprocess.run([*command, str(VALID)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"{VALID}: OK"
    ko = subprocess.run([*command, str(HERE / "invalid")], capture_output=True, text=True, check=False)
    assert ko.returncode == 1
    assert f"{INVALID}:11:9: tasks[0].then[0].type: Invalid type" in ko.stdout
    missing = subprocess.run([*command, str(HERE / "nope.yaml")], capture_output=True, text=True, check=False)
    assert missing.returncode == 2
