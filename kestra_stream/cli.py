"""The ``kestra-stream`` command line."""

from __future__ import annotations

from pathlib import Path

import click

from kestra_stream import __version__, user_regex
from kestra_stream.config import Config, load_config
from kestra_stream.flows.cli import flow
from kestra_stream.indexes.cli import indexes
from kestra_stream.topics.cli import topics

_SERVER_ROLES = ("standalone", "webserver", "executor", "worker", "scheduler", "indexer")


def _load(config_path: Path | None) -> Config:
    try:
        config = load_config(config_path)
        user_regex.configure(config)
    except ValueError as error:  # ConfigError, or an invalid value
        raise click.UsageError(str(error)) from error
    return config


@click.group()
@click.version_option(__version__, prog_name="kestra-stream")
def main() -> None:
    """Kestra flows executed on Kafka, searched in Elasticsearch."""


@main.group()
def server() -> None:
    """Run the server, all in one process or one role at a time."""


def _server_command(role: str) -> click.Command:
    @click.command(name=role, help=f"Run the {role} role.")
    @click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
    @click.option("--port", type=int, default=8080, show_default=True, help="HTTP port of the webserver.")
    def command(config_path: Path | None, port: int) -> None:
        _load(config_path)
        raise click.ClickException(
            f"`server {role}` needs the engine, which is not built yet; use `server local` for now"
        )

    return command


@server.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
@click.option("--port", type=int, default=8080, show_default=True, help="HTTP port of the webserver.")
def local(config_path: Path | None, port: int) -> None:
    """Everything in one process, in memory, no external service."""
    from kestra_stream.local_server import run_local

    run_local(config=_load(config_path), port=port)


for _role in _SERVER_ROLES:
    server.add_command(_server_command(_role))

main.add_command(topics)
main.add_command(indexes)
main.add_command(flow)
