"""``io.kestra.plugin.kafka.Produce`` and ``io.kestra.plugin.kafka.Consume``."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import KafkaException, Producer
from pydantic import Field

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.kafka._client import (
    KafkaConnection,
    KafkaConsumerProperties,
    client_properties,
    commit_messages,
    consume_batch,
    message_variables,
    new_consumer,
    subscribe,
)
from kestra_stream.plugins.kafka._serdes import SerdeType, serialize
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure


def _records_of_file(ctx: RunContext, uri: str) -> Iterator[Any]:
    with tempfile.TemporaryDirectory() as directory:
        path = ctx.get_file(uri, Path(directory) / "from")
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield orjson.loads(line)


def _headers(headers: Any) -> list[tuple[str, bytes | None]]:
    pairs = headers.items() if isinstance(headers, Mapping) else [(h["key"], h["value"]) for h in headers]
    return [(str(key), None if value is None else str(value).encode()) for key, value in pairs]


@plugin("io.kestra.plugin.kafka.Produce")
class Produce(RunnableTask, KafkaConnection):
    """Send records: ``from`` is one record (map), a list of records, or a ``kestra://`` file of JSON lines.

    A record is ``{key, value, topic, partition, timestamp, headers}``; ``topic`` defaults to the task's.
    """

    topic: str | None = dynamic(None)
    from_: Any = dynamic(alias="from")
    key_serializer: SerdeType = SerdeType.STRING
    value_serializer: SerdeType = SerdeType.STRING
    transactional: bool = Field(True, description="All records in one Kafka transaction.")

    def _records(self, ctx: RunContext) -> Iterator[Mapping[str, Any]]:
        source = ctx.render(self.from_)
        if isinstance(source, str):
            yield from _records_of_file(ctx, source)
        elif isinstance(source, Mapping):
            yield source
        else:
            yield from source

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        properties = client_properties(ctx.render(self.properties))
        if self.transactional:
            properties.setdefault(
                "transactional.id",
                f"kestra-stream-produce-{id(self)}-{ctx.variables.get('taskrun', {}).get('id', '')}",
            )
        producer = Producer(properties)
        default_topic = ctx.render(self.topic) if self.topic else None
        count = 0
        failures: list[str] = []

        def delivered(error: Any, _: Any) -> None:
            if error is not None:
                failures.append(str(error))

        try:
            if self.transactional:
                producer.init_transactions(30)
                producer.begin_transaction()
            for record in self._records(ctx):
                topic = record.get("topic") or default_topic
                if not topic:
                    raise TaskFailure("no `topic` on the task nor on the record")
                extra: dict[str, Any] = {}
                if record.get("partition") is not None:
                    extra["partition"] = int(record["partition"])
                if record.get("headers"):
                    headers = record["headers"]
                    pairs = (
                        headers.items()
                        if isinstance(headers, Mapping)
                        else [(h["key"], h["value"]) for h in headers]
                    )
                    extra["headers"] = [
                        (str(key), None if value is None else str(value).encode()) for key, value in pairs
                    ]
                producer.produce(
                    str(topic),
                    key=serialize(record.get("key"), self.key_serializer),
                    value=serialize(record.get("value"), self.value_serializer),
                    on_delivery=delivered,
                    **extra,
                )
                producer.poll(0)
                count += 1
            if self.transactional:
                producer.commit_transaction(30)
            elif producer.flush(30):
                raise TaskFailure("records not delivered within 30 s")
        except KafkaException as error:
            raise TaskFailure(f"Kafka error: {error}") from None
        if failures:
            raise TaskFailure(f"{len(failures)} records not delivered: {failures[0]}")
        ctx.metric("records", "counter", count)
        return {"messagesCount": count}


@plugin("io.kestra.plugin.kafka.Consume")
class Consume(RunnableTask, KafkaConsumerProperties):
    """Read records (until ``maxRecords``, ``maxDuration`` or an empty poll) into a JSON-lines file."""

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        consumer = new_consumer(self, ctx.render)
        try:
            subscribe(consumer, self, ctx.render)
            messages = list(consume_batch(consumer, self))
            path = ctx.working_dir / "messages.jsonl"
            with path.open("wb") as handle:
                for message in messages:
                    handle.write(orjson.dumps(message_variables(message, self)) + b"\n")
            if self.group_id:
                commit_messages(consumer, messages)
        finally:
            consumer.close()
        ctx.metric("records", "counter", len(messages))
        return {"messagesCount": len(messages), "uri": ctx.put_file(path)}
