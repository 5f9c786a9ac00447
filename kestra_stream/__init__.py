"""kestra-stream: Kestra flows executed on Kafka, searched in Elasticsearch."""

__version__ = "0.1.0"
