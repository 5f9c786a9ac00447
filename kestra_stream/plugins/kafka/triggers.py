"""``io.kestra.plugin.kafka.Trigger`` (polling, a batch per execution) and ``RealtimeTrigger``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from confluent_kafka import Consumer, KafkaError, Message
from pydantic import model_validator

from kestra_stream.models.dates import format_instant
from kestra_stream.plugins.base import PollingTrigger, Trigger
from kestra_stream.plugins.kafka._client import (
    KafkaConsumerProperties,
    commit_messages,
    consume_batch,
    message_variables,
    new_consumer,
    subscribe,
)
from kestra_stream.plugins.registry import plugin
from kestra_stream.scheduler.plugins import RealtimeEvent, TriggerRunContext


def _needs_group(spec: KafkaConsumerProperties) -> None:
    if not spec.group_id:
        raise ValueError("`groupId` is required: the trigger's progress is the group's committed offsets")


@plugin("io.kestra.plugin.kafka.Trigger")
class KafkaTrigger(PollingTrigger, KafkaConsumerProperties):
    """Every ``interval``: consume a batch; when it is not empty, one execution with
    ``trigger.messagesCount`` and ``trigger.uri`` (the records as JSON lines in internal storage)."""

    @model_validator(mode="after")
    def _group(self) -> KafkaTrigger:
        _needs_group(self)
        return self

    def evaluate(self, ctx: TriggerRunContext) -> dict[str, Any] | None:
        if ctx.storage is None:
            raise RuntimeError("the Kafka Trigger needs internal storage")
        consumer = new_consumer(self, ctx.render)
        try:
            subscribe(consumer, self, ctx.render)
            messages = list(consume_batch(consumer, self))
            if not messages:
                return None
            body = b"".join(orjson.dumps(message_variables(message, self)) + b"\n" for message in messages)
            stamp = format_instant(ctx.date).replace(":", "-") if ctx.date else "now"
            uri = ctx.storage.put(
                f"/{ctx.namespace.replace('.', '/')}/{ctx.flow_id}/triggers/{self.id}/{stamp}.jsonl", body
            )
            # committed only once the file is stored: a crash before reads the batch again
            commit_messages(consumer, messages)
        finally:
            consumer.close()
        return {"messagesCount": len(messages), "uri": uri}


class KafkaRealtimeSource:
    def __init__(self, trigger: KafkaRealtimeTrigger, ctx: TriggerRunContext) -> None:
        self._trigger = trigger
        self._consumer: Consumer = new_consumer(trigger, ctx.render)
        subscribe(self._consumer, trigger, ctx.render)
        self._pending: dict[tuple[str, int, int], Message] = {}

    def poll(self, max_events: int, timeout: float) -> list[RealtimeEvent]:
        first = self._consumer.poll(timeout)
        if first is None:
            return []
        messages = [first, *self._consumer.consume(max_events - 1, 0)] if max_events > 1 else [first]
        events: list[RealtimeEvent] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(f"Kafka consumer error: {error}")
            position = (message.topic() or "", message.partition() or 0, message.offset() or 0)
            self._pending[position] = message
            events.append(
                RealtimeEvent(
                    variables=message_variables(message, self._trigger),
                    source=position[0],
                    partition=position[1],
                    offset=position[2],
                )
            )
        return events

    def commit(self, events: Sequence[RealtimeEvent]) -> None:
        messages = [self._pending.pop((event.source, event.partition, event.offset)) for event in events]
        commit_messages(self._consumer, messages)

    def close(self) -> None:
        self._consumer.close()


@plugin("io.kestra.plugin.kafka.RealtimeTrigger")
class KafkaRealtimeTrigger(Trigger, KafkaConsumerProperties):
    """One execution per record, as it arrives (``trigger.key``, ``value``, ``topic``, ``partition``,
    ``offset``, ``timestamp``, ``headers``).

    Runs in the scheduler instance owning the trigger. A record's offset is committed only after its
    execution is on the ``executions`` topic, and the execution id derives from (topic, partition,
    offset): a redelivered record names the same execution, which the executor ignores.
    """

    @model_validator(mode="after")
    def _group(self) -> KafkaRealtimeTrigger:
        _needs_group(self)
        return self

    def realtime_source(self, ctx: TriggerRunContext) -> KafkaRealtimeSource:
        return KafkaRealtimeSource(self, ctx)
