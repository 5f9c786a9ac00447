"""The shape of ``topics/catalog.yaml``, validated with pydantic before anything is resolved."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TOPIC_NAME_PATTERN = r"^[A-Za-z0-9._-]+$"
_FIELD_MANAGED_CONFIGS = frozenset({"cleanup.policy", "retention.ms"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MessageModel(_Strict):
    type: str = Field(min_length=1)
    description: str = Field(min_length=1)


class TopicModel(_Strict):
    name: str = Field(pattern=TOPIC_NAME_PATTERN)
    key: str | None
    ordered_by_key: bool = True
    copartition_group: str | None = None
    worker_group_name: str | None = None
    cleanup_policy: list[Literal["delete", "compact"]] = Field(min_length=1)
    retention_ms: int = Field(ge=-1)
    configs: dict[str, str | int | bool] = Field(default_factory=dict)
    message: MessageModel

    @model_validator(mode="after")
    def _coherent(self) -> TopicModel:
        managed = _FIELD_MANAGED_CONFIGS & self.configs.keys()
        if managed:
            raise ValueError(f"set {sorted(managed)} with cleanup_policy / retention_ms, not in configs")
        if self.copartition_group is not None and self.key is None:
            raise ValueError("a co-partitioned topic needs a key")
        if "compact" in self.cleanup_policy and self.key is None:
            raise ValueError("a compacted topic needs a key")
        if self.worker_group_name is not None and "{group}" not in self.worker_group_name:
            raise ValueError("worker_group_name must contain `{group}`")
        return self


class GroupModel(_Strict):
    description: str = Field(min_length=1)


class DefaultsModel(_Strict):
    partitions: int = Field(ge=1)
    replication_factor: int = Field(ge=1)


class CatalogModel(_Strict):
    defaults: DefaultsModel
    copartition_groups: dict[str, GroupModel] = Field(default_factory=dict)
    topics: dict[str, TopicModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _groups_exist(self) -> CatalogModel:
        for key, topic in self.topics.items():
            if topic.copartition_group is not None and topic.copartition_group not in self.copartition_groups:
                raise ValueError(f"topic `{key}`: unknown co-partition group `{topic.copartition_group}`")
        names = [topic.name for topic in self.topics.values()]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"topic names used twice: {duplicates}")
        return self
