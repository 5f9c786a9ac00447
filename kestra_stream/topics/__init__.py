"""The Kafka topic catalog (``topics/catalog.yaml``) and ``kestra-stream topics apply``."""
