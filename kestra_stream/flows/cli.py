"""``kestra-stream flow ...``: work with flow files without a server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click

from kestra_stream.config import ConfigError, load_config
from kestra_stream.flows.defaults import global_plugin_defaults
from kestra_stream.flows.model import PluginDefault
from kestra_stream.flows.parse import validate_source
from kestra_stream.flows.schema import flow_json_schema

_FLOW_SUFFIXES = (".yml", ".yaml")


def _flow_files(paths: tuple[Path, ...]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                file for file in path.rglob("*") if file.is_file() and file.suffix in _FLOW_SUFFIXES
            )
        else:
            yield path


def _global_defaults(config_path: Path | None) -> list[PluginDefault]:
    try:
        return global_plugin_defaults(load_config(config_path))
    except (ConfigError, ValueError) as error:
        raise click.UsageError(str(error)) from error


@click.group()
def flow() -> None:
    """Validate flows and export their JSON schema."""


@flow.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
def validate(paths: tuple[Path, ...], config_path: Path | None) -> None:
    """Validate flow files (directories are searched for *.yml and *.yaml).

    Prints `FILE: OK`, or one `FILE:LINE:COLUMN: PATH: REASON` line per violation; exits with 1
    when any flow is invalid.
    """
    defaults = _global_defaults(config_path)
    invalid = 0
    checked = 0
    for file in _flow_files(paths):
        checked += 1
        results = validate_source(file.read_text(encoding="utf-8"), defaults=defaults)
        violations = [violation for result in results for violation in result.violations]
        if not violations:
            click.echo(f"{file}: OK")
            continue
        invalid += 1
        for violation in violations:
            click.echo(f"{file}:{violation}")
    if checked == 0:
        raise click.UsageError("no flow file (*.yml, *.yaml) found")
    if invalid:
        click.echo(f"{invalid} of {checked} file(s) invalid", err=True)
        raise SystemExit(1)


@flow.command(name="schema")
def schema_command() -> None:
    """Print the JSON schema of flow documents."""
    click.echo(json.dumps(flow_json_schema(), indent=2))
