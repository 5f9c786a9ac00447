"""``kestra-stream topics ...``: show the catalog, apply it to the Kafka cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kestra_stream.cli_output import EXIT_DRIFT, CommandFailure, render_table
from kestra_stream.config import Config, ConfigError, load_config
from kestra_stream.topics.admin import AdminOptions, KafkaAdminError, TopicAdmin, kafka_client_properties
from kestra_stream.topics.apply import ApplyOptions, apply_catalog
from kestra_stream.topics.catalog import CatalogError, TopicCatalog, load_catalog
from kestra_stream.topics.report import render_report


def _catalog(
    config_path: Path | None, catalog_path: Path | None, worker_groups: tuple[str, ...]
) -> TopicCatalog:
    try:
        config: Config = load_config(config_path)
        return load_catalog(config, path=catalog_path, worker_groups=worker_groups)
    except (ConfigError, CatalogError) as error:
        raise CommandFailure(str(error)) from error


_config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="YAML configuration file."
)
_catalog_option = click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(path_type=Path),
    help="Topic catalog (default: topics/catalog.yaml).",
)
_worker_group_option = click.option(
    "--worker-group",
    "worker_groups",
    multiple=True,
    help="Also manage the worker-jobs topic of this worker group (repeatable).",
)


@click.group()
def topics() -> None:
    """The Kafka topics of the cluster (catalog: topics/catalog.yaml)."""


@topics.command(name="list")
@_config_option
@_catalog_option
@_worker_group_option
def list_topics(config_path: Path | None, catalog_path: Path | None, worker_groups: tuple[str, ...]) -> None:
    """Print the catalog as resolved with the configuration, without contacting Kafka."""
    catalog = _catalog(config_path, catalog_path, worker_groups)
    rows = [
        [
            spec.name,
            spec.message_key or "-",
            spec.copartition_group or "-",
            str(spec.partitions),
            str(spec.replication_factor),
            spec.cleanup_policy,
            spec.configs["retention.ms"],
            spec.message.type,
        ]
        for spec in catalog.topics
    ]
    headers = ("TOPIC", "KEY", "CO-PARTITION", "PARTITIONS", "RF", "CLEANUP", "RETENTION.MS", "MESSAGE")
    click.echo(render_table(headers, rows))


@topics.command(name="apply")
@_config_option
@_catalog_option
@_worker_group_option
@click.option("--dry-run", is_flag=True, help="Only report what would be created or fixed.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per Kafka request.")
@click.option("--fix", is_flag=True, help="Repair config drift and grow partitions where that is safe.")
@click.option(
    "--allow-unsafe-partition-increase",
    is_flag=True,
    help="With --fix, also grow co-partitioned, compacted or key-ordered topics (keys move: stop executors).",
)
def apply_topics(
    config_path: Path | None,
    catalog_path: Path | None,
    worker_groups: tuple[str, ...],
    dry_run: bool,
    timeout: float,
    fix: bool,
    allow_unsafe_partition_increase: bool,
) -> None:
    """Create missing topics and report drift of existing ones (exit code 1 while drift remains)."""
    catalog = _catalog(config_path, catalog_path, worker_groups)
    options = ApplyOptions(
        dry_run=dry_run, fix=fix, allow_unsafe_partition_increase=allow_unsafe_partition_increase
    )
    try:
        admin = TopicAdmin(
            client_properties=kafka_client_properties(load_config(config_path)),
            options=AdminOptions(timeout_seconds=timeout),
        )
        report = apply_catalog(catalog, admin, options)
    except KafkaAdminError as error:
        raise CommandFailure(str(error)) from error
    click.echo(render_report(report))
    if report.has_drift:
        sys.exit(EXIT_DRIFT)
