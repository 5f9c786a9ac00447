"""Every built-in plugin family resolves from a fresh interpreter, with no module imported by hand."""

from __future__ import annotations

import subprocess
import sys

import pytest

TYPES = [
    "io.kestra.plugin.core.log.Log",
    "io.kestra.plugin.core.flow.Parallel",
    "io.kestra.plugin.core.trigger.Schedule",
    "io.kestra.plugin.core.condition.ExecutionStatus",
    "io.kestra.plugin.scripts.python.Script",
    "io.kestra.plugin.kafka.RealtimeTrigger",
    "io.kestra.plugin.kafka.Produce",
]


@pytest.mark.parametrize("type_name", TYPES)
def test_type_resolves_in_a_fresh_process(type_name: str) -> None:
    code = (
        "import sys\n"
        "from kestra_stream.plugins import registry\n"
        f"print(registry.resolve({type_name!r}).plugin_type)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == type_name
