"""Elasticsearch index templates and indices (``indexer/``) and ``kestra-stream indexes apply``."""
