"""``kestra-stream indexes ...``: apply the Elasticsearch templates and indices of ``indexer/``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kestra_stream.cli_output import EXIT_DRIFT, CommandFailure
from kestra_stream.config import ConfigError, load_config
from kestra_stream.indexes.apply import IndexAdminError, IndexApplyOptions, apply_indexes
from kestra_stream.indexes.catalog import IndexCatalogError, load_index_catalog
from kestra_stream.indexes.client import ElasticsearchConfigError, elasticsearch_client
from kestra_stream.indexes.report import render_index_report


@click.group()
def indexes() -> None:
    """The Elasticsearch indices of the cluster (templates and mappings: indexer/)."""


@indexes.command(name="apply")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file.")
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(path_type=Path),
    help="Index catalog (default: indexer/indices.yaml).",
)
@click.option("--dry-run", is_flag=True, help="Only report what would be created or fixed.")
@click.option("--fix", is_flag=True, help="Re-put drifted templates and add missing fields to indices.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
def apply_command(
    config_path: Path | None, catalog_path: Path | None, dry_run: bool, fix: bool, timeout: float
) -> None:
    """Put index templates, create indices and report mapping drift (exit code 1 while drift remains)."""
    try:
        config = load_config(config_path)
        catalog = load_index_catalog(config, path=catalog_path)
        client = elasticsearch_client(config, timeout_seconds=timeout)
    except (ConfigError, IndexCatalogError, ElasticsearchConfigError) as error:
        raise CommandFailure(str(error)) from error
    try:
        report = apply_indexes(catalog, client, IndexApplyOptions(dry_run=dry_run, fix=fix))
    except IndexAdminError as error:
        raise CommandFailure(str(error)) from error
    finally:
        client.close()
    click.echo(render_index_report(report))
    if report.has_drift:
        sys.exit(EXIT_DRIFT)
