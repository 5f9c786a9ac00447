from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, TaskTimeoutError, run_task
from kestra_stream.storage import LocalStorage, read_bytes

from .conftest import MakeContext
from .test_basic_tasks import task

PROCESS = {"type": "io.kestra.plugin.core.runner.Process"}


def test_shell_commands_outputs_metrics_logs_and_files(ctx: TaskRunContext, sink: CollectingSink) -> None:
    shell = task(
        {
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "taskRunner": PROCESS,
            "outputFiles": ["output.txt"],
            "commands": [
                """echo '::{"outputs":{"test":"value","int":2,"bool":true,"float":3.65}}::'""",
                """echo '::{"metrics":[{"name":"count","type":"counter","value":1,"tags":{"t":"i"}}]}::'""",
                """echo '::{"logs":[{"level":"DEBUG","message":"from logs"}]}::'""",
                "echo 'Hello world' > output.txt",
                "echo plain line",
                "echo oops >&2",
            ],
        }
    )
    outputs = run_task(shell, ctx)
    assert outputs["vars"] == {"test": "value", "int": 2, "bool": True, "float": 3.65}
    assert outputs["exitCode"] == 0
    uri = outputs["outputFiles"]["output.txt"]
    assert uri == "kestra:///company/team/flow/executions/exec1/tasks/task/run1/output.txt"
    assert read_bytes(ctx.storage, uri) == b"Hello world\n"
    assert sink.metric("count").value == 1 and sink.metric("count").tags == {"t": "i"}
    assert sink.messages("DEBUG") == ["from logs"]
    assert sink.messages("INFO") == ["plain line"]
    assert sink.messages("ERROR") == ["oops"]


def test_non_zero_exit_fails_with_exit_code(ctx: TaskRunContext) -> None:
    shell = task({"type": "io.kestra.plugin.scripts.shell.Commands", "commands": ["echo before", "exit 3"]})
    with pytest.raises(TaskFailure, match="exit code 3") as failure:
        run_task(shell, ctx)
    assert failure.value.outputs["exitCode"] == 3


def test_fail_fast_stops_at_the_first_failing_command(ctx: TaskRunContext, sink: CollectingSink) -> None:
    shell = task({"type": "io.kestra.plugin.scripts.shell.Commands", "commands": ["false", "echo after"]})
    with pytest.raises(TaskFailure):
        run_task(shell, ctx)
    assert "after" not in sink.messages()
    lenient = task(
        {
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "failFast": False,
            "commands": ["false", "echo after"],
        }
    )
    assert run_task(lenient, ctx)["exitCode"] == 0


def test_shell_script_with_before_commands_env_and_input_files(
    make_context: MakeContext, local_storage: LocalStorage, sink: CollectingSink
) -> None:
    stored = local_storage.put("/company/team/flow/executions/exec1/inputs/f/data.csv", b"a,b\n1,2\n")
    ctx = make_context({"inputs": {"name": "World"}})
    script = task(
        {
            "type": "io.kestra.plugin.scripts.shell.Script",
            "beforeCommands": ["export GREETING=Hello"],
            "env": {"NAME": "{{ inputs.name }}"},
            "inputFiles": {"in/data.csv": stored, "inline.txt": "inline {{ inputs.name }}"},
            "script": (
                'echo "$GREETING $NAME"\ncat in/data.csv | wc -l\ncat inline.txt; echo\n'
                'echo "$WORKING_DIR" | grep -c .'
            ),
        }
    )
    run_task(script, ctx)
    assert sink.messages("INFO")[:3] == ["Hello World", "2", "inline World"]


def test_kestra_uri_in_script_is_downloaded_and_replaced(
    ctx: TaskRunContext, local_storage: LocalStorage, sink: CollectingSink
) -> None:
    uri = local_storage.put("/company/team/flow/executions/exec1/tasks/dl/r/my%20file.txt", b"content!")
    script = task({"type": "io.kestra.plugin.scripts.shell.Commands", "commands": [f"cat '{uri}'"]})
    run_task(script, ctx)
    assert sink.messages("INFO") == ["content!"]


def test_python_script_uses_the_kestra_library(ctx: TaskRunContext, sink: CollectingSink) -> None:
    script = task(
        {
            "type": "io.kestra.plugin.scripts.python.Script",
            "taskRunner": PROCESS,
            "script": (
                "from kestra import Kestra\n"
                'Kestra.outputs({"a": 1})\n'
                'Kestra.counter("c", 5, {"t": "x"})\n'
                'Kestra.timer("d", 1.5)\n'
                'Kestra.logger().warning("careful")\n'
                "import sys; print(sys.version_info[0])\n"
            ),
        }
    )
    outputs = run_task(script, ctx)
    assert outputs["vars"] == {"a": 1}
    counter = sink.metric("c")
    assert (counter.type, counter.value, counter.tags) == ("counter", 5.0, {"t": "x"})
    assert sink.metric("d").type == "timer"
    assert "3" in sink.messages("INFO")
    assert any("careful" in message for message in sink.messages("WARN"))


def test_python_commands_with_output_dir(ctx: TaskRunContext) -> None:
    commands = task(
        {
            "type": "io.kestra.plugin.scripts.python.Commands",
            "inputFiles": {
                "main.py": "import os\nopen(os.environ['OUTPUT_DIR'] + '/r.json', 'w').write('{}')\n"
            },
            "commands": ["python main.py"],
        }
    )
    outputs = run_task(commands, ctx)
    assert set(outputs["outputFiles"]) == {"r.json"}


def test_python_failure_logs_stderr_as_error(ctx: TaskRunContext, sink: CollectingSink) -> None:
    script = task({"type": "io.kestra.plugin.scripts.python.Script", "script": "raise ValueError('bad')"})
    with pytest.raises(TaskFailure) as failure:
        run_task(script, ctx)
    assert failure.value.outputs["exitCode"] == 1
    assert any("ValueError: bad" in message for message in sink.messages("ERROR"))


def test_node_script_and_commands(ctx: TaskRunContext, sink: CollectingSink) -> None:
    script = task(
        {
            "type": "io.kestra.plugin.scripts.node.Script",
            "script": (
                'console.log("::" + JSON.stringify({outputs: {n: 40 + 2}}) + "::");\nconsole.log("hi node");'
            ),
        }
    )
    assert run_task(script, ctx)["vars"] == {"n": 42}
    commands = task(
        {
            "type": "io.kestra.plugin.scripts.node.Commands",
            "inputFiles": {"main.js": "console.error('to stderr')"},
            "commands": ["node main.js"],
        }
    )
    run_task(commands, ctx)
    assert sink.messages("INFO") == ["hi node"]
    assert sink.messages("ERROR") == ["to stderr"]


def test_docker_runner_and_image_are_warned_and_ignored(ctx: TaskRunContext, sink: CollectingSink) -> None:
    shell = task(
        {
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "taskRunner": {"type": "io.kestra.plugin.scripts.runner.docker.Docker"},
            "containerImage": "ubuntu",
            "commands": ["echo ok"],
        }
    )
    run_task(shell, ctx)
    warnings = " ".join(sink.messages("WARN"))
    assert "Docker" in warnings and "containerImage" in warnings


def test_namespace_files(ctx: TaskRunContext, local_storage: LocalStorage, sink: CollectingSink) -> None:
    local_storage.put("/company/team/_files/scripts/hello.py", b"print('hello from ns file')")
    local_storage.put("/company/team/_files/data/skip.csv", b"x")
    commands = task(
        {
            "type": "io.kestra.plugin.scripts.python.Commands",
            "namespaceFiles": {"enabled": True, "include": ["scripts/*.py"]},
            "commands": ["python scripts/hello.py", "test ! -e data/skip.csv"],
        }
    )
    run_task(commands, ctx)
    assert sink.messages("INFO") == ["hello from ns file"]


def test_timeout_kills_the_whole_process_group(ctx: TaskRunContext, tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    shell = task(
        {
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "timeout": "PT1S",
            "commands": [f"sleep 60 & echo $! > {marker}", "sleep 60"],
        }
    )
    started = time.monotonic()
    with pytest.raises(TaskTimeoutError):
        run_task(shell, ctx)
    assert time.monotonic() - started < 8
    child = int(marker.read_text())
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the background child survived the timeout")


def test_input_file_names_cannot_escape_the_working_dir(ctx: TaskRunContext) -> None:
    shell = task(
        {
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "inputFiles": {"../evil": "x"},
            "commands": ["true"],
        }
    )
    with pytest.raises(TaskFailure, match="invalid file name"):
        run_task(shell, ctx)


def test_process_runner_runs_the_script_without_warnings(ctx: TaskRunContext, sink: CollectingSink) -> None:
    script = task(
        {
            "type": "io.kestra.plugin.scripts.python.Script",
            "taskRunner": {"type": "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner"},
            "script": "import os\nprint(os.getcwd() == os.environ['WORKING_DIR'])",
        }
    )
    outputs = run_task(script, ctx)
    assert outputs["exitCode"] == 0
    assert sink.messages("INFO") == ["True"]
    assert sink.messages("WARN") == []
