"""Every configuration key kestra-stream reads, in one place, with what it means.

Add a key here when code starts reading it. ``tests/test_compose.py`` checks that every ``KESTRA_*``
variable of docker-compose.kafka.yml names one of these keys (or lies under a ``prefix`` entry), so a typo
in deployment material fails a test instead of being ignored at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from kestra_stream.config import canonical_key


@dataclass(frozen=True, kw_only=True)
class ConfigKey:
    key: str
    description: str
    # True when any key below this one is accepted (e.g. Kafka client properties).
    prefix: bool = False


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    # Core
    ConfigKey(key="kestra.queue.type", description="`memory` or `kafka`"),
    ConfigKey(key="kestra.repository.type", description="`memory` or `elasticsearch`"),
    ConfigKey(key="kestra.url", description="public base URL, used in execution links"),
    ConfigKey(key="kestra.server-type", description="role of the process, set by `server <role>`"),
    ConfigKey(key="kestra.plugins.defaults", description="global plugin defaults [{type, forced, values}]"),
    ConfigKey(
        key="kestra.plugins.configurations",
        description="per plugin type [{type, values}], e.g. Schedule recoverMissedSchedules (ALL)",
    ),
    ConfigKey(key="kestra.encryption.secret-key", description="base64 key for SECRET inputs and outputs"),
    ConfigKey(key="kestra.tasks.tmp-dir.path", description="working directories of tasks"),
    ConfigKey(key="kestra.regex.timeout", description="longest run of a user regex (PT10S)"),
    ConfigKey(key="kestra.server.basic-auth.username", description="API and UI user"),
    ConfigKey(key="kestra.server.basic-auth.password", description="API and UI password"),
    ConfigKey(key="kestra.server.basic-auth.open-urls", description="paths served without credentials"),
    ConfigKey(key="kestra.server.basic-auth.realm", description="realm of the WWW-Authenticate header"),
    ConfigKey(key="kestra.server.preview.initial-rows", description="rows of a file preview (100)"),
    ConfigKey(key="kestra.server.preview.max-rows", description="largest `maxRows` of a preview (5000)"),
    ConfigKey(key="kestra.webserver.ui-path", description="directory of a built UI served under /ui/"),
    ConfigKey(key="kestra.environment.name", description="environment name shown by the UI"),
    ConfigKey(key="kestra.environment.color", description="environment color shown by the UI"),
    ConfigKey(key="kestra.system-flows.namespace", description="the system namespace (system)"),
    ConfigKey(key="kestra.server.liveness", description="heartbeat interval, timeout...", prefix=True),
    ConfigKey(key="kestra.server.termination-grace-period", description="graceful shutdown delay"),
    ConfigKey(
        key="kestra.server.worker-task-restart-strategy",
        description="NEVER, IMMEDIATELY, AFTER_TERMINATION_GRACE_PERIOD (default): dead workers' tasks",
    ),
    ConfigKey(
        key="kestra.server.instance-id",
        description="stable process identity for the executor's transactional.id (default host-role-index)",
    ),
    ConfigKey(key="endpoints.all.port", description="management port: /prometheus and /health (8081)"),
    # Internal storage
    ConfigKey(key="kestra.storage.type", description="`local`, `s3` or `minio`"),
    ConfigKey(key="kestra.storage.local.base-path", description="directory of the local storage"),
    ConfigKey(key="kestra.storage.minio", description="endpoint, port, secure, access-key, ...", prefix=True),
    ConfigKey(key="kestra.storage.s3", description="endpoint, region, bucket, access-key, ...", prefix=True),
    # Kafka (queue)
    ConfigKey(
        key="kestra.kafka.client.properties",
        description="any librdkafka client property, e.g. bootstrap.servers, security.protocol",
        prefix=True,
    ),
    ConfigKey(key="kestra.kafka.defaults.topic-prefix", description="prefix of every topic name (kestra_)"),
    ConfigKey(key="kestra.kafka.defaults.consumer-prefix", description="prefix of consumer group ids"),
    ConfigKey(key="kestra.kafka.defaults.topic.partitions", description="partitions of every topic (16)"),
    ConfigKey(key="kestra.kafka.defaults.topic.replication-factor", description="replication of topics (1)"),
    ConfigKey(key="kestra.kafka.defaults.topic.properties", description="topic configs", prefix=True),
    ConfigKey(key="kestra.kafka.defaults.consumer.properties", description="consumers", prefix=True),
    ConfigKey(key="kestra.kafka.defaults.producer.properties", description="producers", prefix=True),
    ConfigKey(
        key="kestra.kafka.topics",
        description="per topic: <key>.name, .partitions, .replication-factor, .properties.*",
        prefix=True,
    ),
    ConfigKey(key="kestra.kafka.message-protection.enabled", description="reject oversized messages"),
    ConfigKey(key="kestra.kafka.message-protection.limit", description="size limit in bytes (1048576)"),
    # Elasticsearch (repository)
    ConfigKey(key="kestra.elasticsearch.client.http-hosts", description="URL or list of URLs"),
    ConfigKey(key="kestra.elasticsearch.client.basic-auth.username", description="Elasticsearch user"),
    ConfigKey(key="kestra.elasticsearch.client.basic-auth.password", description="Elasticsearch password"),
    ConfigKey(key="kestra.elasticsearch.client.trust-all-ssl", description="accept self-signed certificates"),
    ConfigKey(key="kestra.elasticsearch.defaults.indice-prefix", description="index name prefix (kestra_)"),
    ConfigKey(
        key="kestra.elasticsearch.defaults.indices",
        description="index settings: number-of-replicas, refresh-interval, ...",
        prefix=True,
    ),
    # Indexer
    ConfigKey(key="kestra.indexer.batch-size", description="documents per bulk request (500)"),
    ConfigKey(key="kestra.indexer.batch-duration", description="longest wait to fill a bulk (PT1S)"),
)

_EXACT = {canonical_key(entry.key) for entry in CONFIG_KEYS if not entry.prefix}
_PREFIXES = tuple(canonical_key(entry.key) + "." for entry in CONFIG_KEYS if entry.prefix)


def is_known_key(key: str) -> bool:
    """Whether ``key`` (any spelling: kebab, camel, or an env var name) is a key kestra-stream reads."""
    canonical = canonical_key(key)
    return canonical in _EXACT or canonical.startswith(_PREFIXES)
