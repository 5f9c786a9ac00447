"""``kestra-stream events emit``: put one record on a Kafka topic (to fire Kafka triggers by hand)."""

from __future__ import annotations

import click
import orjson
from confluent_kafka import KafkaException, Producer

from kestra_stream.config import Config


def _bootstrap(config: Config, given: str | None) -> str:
    value = given or config.get("kestra.kafka.client.properties.bootstrap.servers")
    if not value:
        raise click.UsageError(
            "no Kafka: pass --bootstrap or set kestra.kafka.client.properties.bootstrap.servers"
        )
    return str(value)


def emit(
    *, bootstrap: str, topic: str, key: str | None, value: str, headers: tuple[str, ...]
) -> tuple[int, int]:
    """Send ``value`` (JSON text, validated) with an optional key; returns (partition, offset)."""
    try:
        orjson.loads(value)
    except orjson.JSONDecodeError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="JSON") from None
    pairs: list[tuple[str, str | bytes | None]] = []
    for header in headers:
        name, sep, text = header.partition("=")
        if not sep:
            raise click.BadParameter(f"`{header}` is not NAME=VALUE", param_hint="--header")
        pairs.append((name, text.encode()))
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "partitioner": "murmur2_random"})
    delivered: list[tuple[int, int]] = []
    failures: list[str] = []

    def on_delivery(error: object, message: object) -> None:
        if error is not None:
            failures.append(str(error))
        else:
            delivered.append((message.partition(), message.offset()))  # type: ignore[attr-defined]

    try:
        producer.produce(
            topic,
            key=key.encode() if key is not None else None,
            value=value.encode(),
            headers=pairs or None,
            on_delivery=on_delivery,
        )
        producer.flush(30)
    except KafkaException as error:
        raise click.ClickException(f"Kafka error: {error}") from None
    if failures or not delivered:
        raise click.ClickException(f"not delivered: {failures[0] if failures else 'timeout'}")
    return delivered[0]


def events_group(load: object) -> click.Group:
    @click.group(name="events")
    def events() -> None:
        """Events for Kafka triggers."""

    @events.command(name="emit")
    @click.option("--topic", required=True, help="Kafka topic (the user's, not a kestra_ one).")
    @click.option("--key", default=None, help="Record key (UTF-8 text).")
    @click.option("--header", "headers", multiple=True, help="NAME=VALUE, repeatable.")
    @click.option("--bootstrap", default=None, help="Kafka bootstrap servers (default: the configuration's).")
    @click.option("--config", "config_path", default=None, help="YAML configuration file.")
    @click.argument("json_value", metavar="JSON")
    def emit_command(
        topic: str,
        key: str | None,
        headers: tuple[str, ...],
        bootstrap: str | None,
        config_path: str | None,
        json_value: str,
    ) -> None:
        """Send JSON as one record to TOPIC."""
        from pathlib import Path

        config: Config = load(Path(config_path) if config_path else None)  # type: ignore[operator]
        partition, offset = emit(
            bootstrap=_bootstrap(config, bootstrap), topic=topic, key=key, value=json_value, headers=headers
        )
        click.echo(f"sent to {topic} partition {partition} offset {offset}")

    return events
