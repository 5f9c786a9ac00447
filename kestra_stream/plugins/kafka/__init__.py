"""Kafka as an event source and sink (``io.kestra.plugin.kafka.*``): Produce, Consume, Trigger,
RealtimeTrigger, with the properties of Kestra's Kafka plugin."""

from kestra_stream.plugins.kafka._serdes import SerdeError, SerdeType, deserialize, serialize
from kestra_stream.plugins.kafka.tasks import Consume, Produce
from kestra_stream.plugins.kafka.triggers import KafkaRealtimeTrigger, KafkaTrigger

__all__ = [
    "Consume",
    "KafkaRealtimeTrigger",
    "KafkaTrigger",
    "Produce",
    "SerdeError",
    "SerdeType",
    "deserialize",
    "serialize",
]
