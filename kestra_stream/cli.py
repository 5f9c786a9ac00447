"""The ``kestra-stream`` command line."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

import click

from kestra_stream import __version__, user_regex
from kestra_stream.cli_flows import register_flow_deploy_commands
from kestra_stream.config import Config, load_config
from kestra_stream.flows.cli import flow
from kestra_stream.plugins.kafka.cli import events_group
from kestra_stream.topics.cli import topics


def _load(config_path: Path | None) -> Config:
    try:
        config = load_config(config_path)
        user_regex.configure(config)
    except ValueError as error:  # ConfigError, or an invalid value
        raise click.UsageError(str(error)) from error
    return config


class _LazyGroup(click.Group):
    """Some subcommands are imported only when used: `server executor` starts without the
    Elasticsearch client that `indexes` needs (a restarted process is back sooner)."""

    def __init__(self, *args: Any, lazy: dict[str, Callable[[], click.Command]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy and cmd_name not in self.commands:
            self.add_command(self._lazy[cmd_name](), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, lazy={"indexes": lambda: import_module("kestra_stream.indexes.cli").indexes})
@click.version_option(__version__, prog_name="kestra-stream")
def main() -> None:
    """Kestra flows executed on Kafka, searched in Elasticsearch."""


class _ServerGroup(click.Group):
    """A port the server cannot listen on is one line on stderr (which port, what moves it), exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from kestra_stream.server.ports import PortUnavailableError

        try:
            return super().invoke(ctx)
        except PortUnavailableError as error:
            raise click.ClickException(str(error)) from None


@main.group(cls=_ServerGroup)
def server() -> None:
    """Run the server, all in one process or one role at a time."""


@server.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
@click.option("--port", type=int, default=8080, show_default=True, help="HTTP port of the webserver.")
@click.option(
    "-f",
    "--flow-path",
    type=click.Path(path_type=Path, exists=True),
    help="Flows to load (default: examples/flows).",
)
def local(config_path: Path | None, port: int, flow_path: Path | None) -> None:
    """Everything in one process, in memory, no external service."""
    from kestra_stream.local_server import run_local

    run_local(config=_load(config_path), port=port, flows_path=flow_path)


def _run_roles(config: Config, **plan: object) -> None:
    from kestra_stream.server import Server, ServerPlan, configure_logging

    configure_logging()
    runner = Server(config=config, plan=ServerPlan(**plan))  # type: ignore[arg-type]
    runner.start()
    runner.wait()


def _config_with(config_path: Path | None, server_type: str) -> Config:
    config = _load(config_path)
    return config.with_overrides({"kestra.server-type": server_type})


@server.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
@click.option(
    "-f", "--flow-path", type=click.Path(path_type=Path, exists=True), help="Flows to publish at start."
)
@click.option(
    "--worker-thread", type=int, default=-1, help="Worker threads (0: no worker; default: 2 x cores)."
)
@click.option("--port", type=int, default=8080, show_default=True, help="HTTP port of the webserver.")
@click.option("--no-indexer", is_flag=True, help="Do not run the indexer in this process.")
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduler in this process.")
def standalone(
    config_path: Path | None,
    flow_path: Path | None,
    worker_thread: int,
    port: int,
    no_indexer: bool,
    no_scheduler: bool,
) -> None:
    """Executor, worker, scheduler, indexer and webserver in one process, on the configured queue
    (kestra.queue.type)."""
    from kestra_stream.webserver.process import run_server_with_web

    run_server_with_web(
        _config_with(config_path, "STANDALONE"),
        port=port,
        executor=True,
        worker=worker_thread != 0,
        worker_threads=max(worker_thread, 0),
        flows_path=flow_path,
        indexer=not no_indexer,
        scheduler=not no_scheduler,
    )


@server.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
def executor(config_path: Path | None) -> None:
    """The executor: consumes executions and worker results, owns execution state."""
    _run_roles(_config_with(config_path, "EXECUTOR"), executor=True, worker=False)


@server.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
@click.option("-t", "--thread", "threads", type=int, default=0, help="Worker threads (default: 2 x cores).")
@click.option("-g", "--worker-group", default=None, help="Worker group key (default group when omitted).")
def worker(config_path: Path | None, threads: int, worker_group: str | None) -> None:
    """A worker: runs the task runs of its worker group."""
    _run_roles(
        _config_with(config_path, "WORKER"),
        executor=False,
        worker=True,
        worker_threads=threads,
        worker_group=worker_group,
    )


@server.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
def scheduler(config_path: Path | None) -> None:
    """The scheduler: owns the trigger state of its partitions; schedules, polling and realtime triggers."""
    _run_roles(_config_with(config_path, "SCHEDULER"), executor=False, worker=False, scheduler=True)


@server.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
def indexer(config_path: Path | None) -> None:
    """The indexer: projects the topics into Elasticsearch (kestra.repository.type)."""
    _run_roles(_config_with(config_path, "INDEXER"), executor=False, worker=False, indexer=True)


@server.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
@click.option("--port", type=int, default=8080, show_default=True, help="HTTP port of the webserver.")
def webserver(config_path: Path | None, port: int) -> None:
    """The API (and UI) only: reads the repository, writes the queue."""
    from kestra_stream.server import configure_logging
    from kestra_stream.webserver.process import run_webserver

    configure_logging()
    run_webserver(_config_with(config_path, "WEBSERVER"), port=port)


main.add_command(topics)
main.add_command(flow)
main.add_command(events_group(_load))
register_flow_deploy_commands(flow)
