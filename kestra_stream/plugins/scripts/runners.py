"""Task runners (kestra-features.md §3.9): where a script task's commands run.

kestra-stream runs every script as a local process of the worker. ``Process`` is exactly that;
``Docker`` (Kestra's default runner) is accepted with all its documented properties, so flows
written for Kestra validate, but it runs the script as a local process too, with a WARN log.
"""

from __future__ import annotations

from typing import Any, Literal

from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import DynamicDuration
from kestra_stream.plugins.base import TaskRunner, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.registry import plugin


@plugin("io.kestra.plugin.core.runner.Process", "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner")
class Process(TaskRunner):
    """A local sub-process of the worker, in the task's working directory. No isolation."""

    def before_run(self, ctx: RunContext) -> None:
        return None


class DockerCpu(KestraModel):
    cpus: float | str | None = None


class DockerMemory(KestraModel):
    memory: str | None = None
    memory_swap: str | None = None
    memory_swappiness: str | None = None
    memory_reservation: str | None = None
    kernel_memory: str | None = None
    oom_kill_disable: bool | None = None


class DockerCredentials(KestraModel):
    registry: str | None = dynamic(None)
    username: str | None = dynamic(None)
    password: str | None = dynamic(None)
    registry_token: str | None = dynamic(None)
    identity_token: str | None = dynamic(None)
    auth: str | None = dynamic(None)


@plugin(
    "io.kestra.plugin.scripts.runner.docker.Docker", "io.kestra.plugin.scripts.runner.docker.DockerTaskRunner"
)
class Docker(TaskRunner):
    """Kestra's container runner: accepted, but the script runs as a local process."""

    image: str | None = dynamic(None)
    host: str | None = dynamic(None)
    config: str | dict[str, Any] | None = dynamic(None)
    credentials: DockerCredentials | None = None
    volumes: list[str] | None = dynamic(None)
    pull_policy: Literal["IF_NOT_PRESENT", "ALWAYS", "NEVER"] = "IF_NOT_PRESENT"
    device_requests: list[dict[str, Any]] | None = None
    cpu: DockerCpu | None = None
    memory: DockerMemory | None = None
    shm_size: str | None = dynamic(None)
    privileged: bool | None = None
    user: str | None = dynamic(None)
    entry_point: list[str] | None = dynamic(None)
    extra_hosts: list[str] | None = dynamic(None)
    network_mode: str | None = dynamic(None)
    port_bindings: list[str] | None = dynamic(None)
    file_handling_strategy: Literal["VOLUME", "MOUNT"] = "VOLUME"
    delete: bool = True
    wait: bool = True
    resume: bool = True
    kill_grace_period: DynamicDuration | None = dynamic(None)
