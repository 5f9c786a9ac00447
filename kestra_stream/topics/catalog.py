"""The topic catalog resolved against the configuration: real names, partitions, replication, configs.

Precedence for a topic's configs: ``kestra.kafka.defaults.topic.properties.*`` < the catalog file <
``kestra.kafka.topics.<key>.properties.*``. ``kestra.kafka.topics.<key>.name`` replaces the whole name
(prefix included), as in Kestra where the default name is ``${topic-prefix}<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

import kestra_stream
from kestra_stream.config import Config, canonical_key
from kestra_stream.topics.schema import CatalogModel, TopicModel

DEFAULT_TOPIC_PREFIX = "kestra_"
DEFAULT_WORKER_GROUP = "default"
_WORKER_GROUP_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
_OVERRIDE_ROOT = "kestra.kafka.topics"
_OVERRIDE_SCALARS = ("name", "partitions", "replication.factor")


class CatalogError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class MessageSchema:
    type: str
    description: str


@dataclass(frozen=True, kw_only=True)
class TopicSpec:
    """One topic as it must exist on the cluster."""

    key: str
    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str]
    message_key: str | None
    ordered_by_key: bool
    copartition_group: str | None
    message: MessageSchema
    worker_group: str | None = None

    @property
    def cleanup_policy(self) -> str:
        return self.configs["cleanup.policy"]

    @property
    def partition_increase_risk(self) -> str | None:
        """Why adding partitions would break readers, or None when it is harmless."""
        if self.copartition_group is not None:
            return (
                f"co-partitioned ({self.copartition_group} group): executions would move to other partitions "
                "while their state stays on the old ones; grow every topic of the group together, "
                "with executors stopped"
            )
        if self.message_key is not None and "compact" in self.cleanup_policy:
            return "compacted by key: new records of a key would land on another partition than its old ones"
        if self.message_key is not None and self.ordered_by_key:
            return "ordered by key: records of one key would be split across two partitions"
        return None


@dataclass(frozen=True, kw_only=True)
class TopicCatalog:
    prefix: str
    topics: tuple[TopicSpec, ...]
    copartition_groups: Mapping[str, str] = field(default_factory=dict)

    def topic(self, key: str, *, worker_group: str | None = None) -> TopicSpec:
        for spec in self.topics:
            if spec.key == key and spec.worker_group == worker_group:
                return spec
        raise KeyError(f"no topic `{key}`" + (f" for worker group `{worker_group}`" if worker_group else ""))

    def name(self, key: str) -> str:
        return self.topic(key).name

    def group_members(self, group: str) -> tuple[TopicSpec, ...]:
        return tuple(spec for spec in self.topics if spec.copartition_group == group)


def default_catalog_path() -> Path:
    """``topics/catalog.yaml`` of the source tree, else of the working directory (the Docker image)."""
    beside_package = Path(kestra_stream.__file__).resolve().parent.parent / "topics" / "catalog.yaml"
    return beside_package if beside_package.exists() else Path.cwd() / "topics" / "catalog.yaml"


def read_catalog_file(path: Path) -> CatalogModel:
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as error:
        raise CatalogError(f"topic catalog not found: {path}") from error
    except yaml.YAMLError as error:
        raise CatalogError(f"invalid YAML in topic catalog {path}: {error}") from error
    try:
        return CatalogModel.model_validate(raw)
    except ValidationError as error:
        raise CatalogError(f"invalid topic catalog {path}:\n{error}") from error


def load_catalog(
    config: Config, *, path: Path | None = None, worker_groups: Iterable[str] = ()
) -> TopicCatalog:
    model = read_catalog_file(path or default_catalog_path())
    return resolve_catalog(model, config, worker_groups=worker_groups)


def resolve_catalog(
    model: CatalogModel, config: Config, *, worker_groups: Iterable[str] = ()
) -> TopicCatalog:
    _reject_unknown_overrides(config, model.topics.keys())
    prefix = str(config.get("kestra.kafka.defaults.topic-prefix", DEFAULT_TOPIC_PREFIX))
    resolver = _Resolver(model=model, config=config, prefix=prefix)
    groups = sorted({DEFAULT_WORKER_GROUP, *worker_groups})
    for group in groups:
        if not _WORKER_GROUP_PATTERN.match(group):
            raise CatalogError(f"worker group `{group}` may only hold letters, digits, `.`, `_` and `-`")
    specs: list[TopicSpec] = []
    for key, topic in model.topics.items():
        if topic.worker_group_name is None:
            specs.append(resolver.spec(key, topic))
        else:
            specs.extend(resolver.spec(key, topic, worker_group=group) for group in groups)
    catalog = TopicCatalog(
        prefix=prefix,
        topics=tuple(specs),
        copartition_groups={name: group.description for name, group in model.copartition_groups.items()},
    )
    _check_copartitioning(catalog)
    return catalog


@dataclass(frozen=True, kw_only=True)
class _Resolver:
    model: CatalogModel
    config: Config
    prefix: str

    def spec(self, key: str, topic: TopicModel, *, worker_group: str | None = None) -> TopicSpec:
        override = f"{_OVERRIDE_ROOT}.{canonical_key(key)}"
        return TopicSpec(
            key=key,
            name=self._name(override, topic, worker_group),
            partitions=self._positive_int(
                f"{override}.partitions",
                self._positive_int("kestra.kafka.defaults.topic.partitions", self.model.defaults.partitions),
            ),
            replication_factor=self._positive_int(
                f"{override}.replication-factor",
                self._positive_int(
                    "kestra.kafka.defaults.topic.replication-factor", self.model.defaults.replication_factor
                ),
            ),
            configs=self._configs(override, topic),
            message_key=topic.key,
            ordered_by_key=topic.ordered_by_key,
            copartition_group=topic.copartition_group,
            message=MessageSchema(type=topic.message.type, description=topic.message.description),
            worker_group=None if worker_group in (None, DEFAULT_WORKER_GROUP) else worker_group,
        )

    def _name(self, override: str, topic: TopicModel, worker_group: str | None) -> str:
        """An explicit name override applies to the default worker group's topic only."""
        if worker_group not in (None, DEFAULT_WORKER_GROUP):
            assert topic.worker_group_name is not None
            return self.prefix + topic.worker_group_name.replace("{group}", worker_group)
        explicit = self.config.get(f"{override}.name")
        return str(explicit) if explicit is not None else self.prefix + topic.name

    def _configs(self, override: str, topic: TopicModel) -> dict[str, str]:
        defaults = self._section("kestra.kafka.defaults.topic.properties")
        configs = {name: _kafka_value(value) for name, value in defaults}
        configs.update({name: _kafka_value(value) for name, value in topic.configs.items()})
        configs["cleanup.policy"] = ",".join(topic.cleanup_policy)
        configs["retention.ms"] = str(topic.retention_ms)
        configs.update({name: _kafka_value(value) for name, value in self._section(f"{override}.properties")})
        return dict(sorted(configs.items()))

    def _section(self, prefix: str) -> list[tuple[str, Any]]:
        return sorted(self.config.section(prefix).items())

    def _positive_int(self, key: str, default: int) -> int:
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise CatalogError(f"`{key}` must be a positive integer, got {value!r}")
        if int(value) < 1:
            raise CatalogError(f"`{key}` must be a positive integer, got {value!r}")
        return int(value)


def _kafka_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _reject_unknown_overrides(config: Config, topic_keys: Iterable[str]) -> None:
    """A mistyped ``kestra.kafka.topics.*`` key must not be ignored silently."""
    known = [f"{_OVERRIDE_ROOT}.{canonical_key(key)}." for key in topic_keys]
    for flat_key in config.section(_OVERRIDE_ROOT):
        full = f"{_OVERRIDE_ROOT}.{flat_key}"
        matched = False
        for head in known:
            rest = full[len(head) :] if full.startswith(head) else None
            if rest is not None and (rest in _OVERRIDE_SCALARS or rest.startswith("properties.")):
                matched = True
                break
        if not matched:
            raise CatalogError(
                f"unknown topic override `{full}`: expected kestra.kafka.topics.<topic key>."
                f"(name|partitions|replication-factor|properties.*) with a key of topics/catalog.yaml"
            )


def _check_copartitioning(catalog: TopicCatalog) -> None:
    for group in catalog.copartition_groups:
        members = catalog.group_members(group)
        counts = {spec.partitions for spec in members}
        if len(counts) > 1:
            detail = ", ".join(f"{spec.key}={spec.partitions}" for spec in members)
            raise CatalogError(
                f"co-partitioned topics of group `{group}` must share one partition count ({detail}): "
                "set kestra.kafka.defaults.topic.partitions, or the same override on every one of them"
            )
