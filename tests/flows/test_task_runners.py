"""Task runners are plugins: validated, defaulted and described like tasks."""

from __future__ import annotations

import pytest

from kestra_stream.flows import FlowValidationError, parse_flow
from kestra_stream.flows.schema import flow_json_schema
from kestra_stream.plugins.scripts._base import ScriptTask
from kestra_stream.plugins.scripts.runners import Docker, Process

from .test_parse import flow_source

DOCKER = "io.kestra.plugin.scripts.runner.docker.Docker"


def _script_task(source: str) -> ScriptTask:
    task = parse_flow(source).tasks[0]
    assert isinstance(task, ScriptTask)
    return task


def test_a_flow_with_a_docker_runner_validates() -> None:
    task = _script_task(
        flow_source(
            f"""\
            - id: py
              type: io.kestra.plugin.scripts.python.Script
              containerImage: ghcr.io/kestra-io/kestrapy:latest
              taskRunner:
                type: {DOCKER}
                pullPolicy: ALWAYS
                cpu: {{cpus: 1}}
                memory: {{memory: 512Mb}}
                volumes: ["/tmp/data:/data"]
                networkMode: host
                entryPoint: [""]
                user: "1000"
                config: '{{"auths": {{}}}}'
                credentials: {{registry: ghcr.io, username: me, password: "{{{{ secret('TOKEN') }}}}"}}
                fileHandlingStrategy: MOUNT
                delete: false
              script: print(1)
            """
        )
    )
    runner = task.task_runner
    assert isinstance(runner, Docker)
    assert runner.pull_policy == "ALWAYS" and runner.cpu is not None and runner.cpu.cpus == 1
    assert runner.memory is not None and runner.memory.memory == "512Mb"
    assert runner.file_handling_strategy == "MOUNT" and runner.delete is False
    assert task.to_json_dict()["taskRunner"]["networkMode"] == "host"


def test_process_runner_and_its_old_name_resolve_to_one_class() -> None:
    for type_name in (
        "io.kestra.plugin.core.runner.Process",
        "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner",
    ):
        source = flow_source(
            f"- {{id: s, type: io.kestra.plugin.scripts.shell.Commands, taskRunner: {{type: {type_name}}}, "
            "commands: [echo]}\n"
        )
        assert isinstance(_script_task(source).task_runner, Process)


def test_an_unknown_runner_type_is_rejected_with_its_path_and_suggestions() -> None:
    source = flow_source(
        """\
        - id: s
          type: io.kestra.plugin.scripts.shell.Commands
          taskRunner:
            type: io.kestra.plugin.scripts.runner.docker.Dockr
          commands: [echo]
        """
    )
    with pytest.raises(FlowValidationError) as raised:
        parse_flow(source)
    (violation,) = raised.value.violations
    assert violation.path == "tasks[0].taskRunner.type"
    assert "Invalid type: io.kestra.plugin.scripts.runner.docker.Dockr" in violation.message
    assert DOCKER in violation.message  # did you mean …


def test_runner_properties_are_checked() -> None:
    source = flow_source(
        f"""\
        - id: s
          type: io.kestra.plugin.scripts.shell.Commands
          taskRunner: {{type: {DOCKER}, pullPolicy: SOMETIMES, colour: blue}}
          commands: [echo]
        """
    )
    with pytest.raises(FlowValidationError) as raised:
        parse_flow(source)
    paths = {violation.path for violation in raised.value.violations}
    assert paths == {"tasks[0].taskRunner.pullPolicy", "tasks[0].taskRunner.colour"}


def test_a_task_is_not_a_runner() -> None:
    source = flow_source(
        """\
        - id: s
          type: io.kestra.plugin.scripts.shell.Commands
          taskRunner: {type: io.kestra.plugin.core.log.Log, message: x}
          commands: [echo]
        """
    )
    with pytest.raises(FlowValidationError, match="expected a taskrunner"):
        parse_flow(source)


def test_plugin_defaults_reach_runners() -> None:
    source = flow_source(
        f"- {{id: s, type: io.kestra.plugin.scripts.shell.Commands, taskRunner: {{type: {DOCKER}}}, "
        "commands: [echo]}\n",
        """\
        pluginDefaults:
          - type: io.kestra.plugin.scripts.runner.docker
            values: {pullPolicy: NEVER}
        """,
    )
    runner = _script_task(source).task_runner
    assert isinstance(runner, Docker) and runner.pull_policy == "NEVER"


def test_the_flow_schema_describes_runners() -> None:
    definitions = flow_json_schema()["$defs"]
    runners = [definitions[ref["$ref"].rsplit("/", 1)[-1]] for ref in definitions["TaskRunner"]["oneOf"]]
    types = {name for runner in runners for name in runner["properties"]["type"]["enum"]}
    assert {DOCKER, "io.kestra.plugin.core.runner.Process"} <= types
    docker = next(runner for runner in runners if DOCKER in runner["properties"]["type"]["enum"])
    assert {"pullPolicy", "volumes", "networkMode", "fileHandlingStrategy"} <= set(docker["properties"])
