"""The shape of ``indexer/indices.yaml``, validated with pydantic before anything is resolved."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_INDEX_NAME = re.compile(r"^[a-z0-9_]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndexModel(_Strict):
    layout: Literal["single", "rotating"]
    mapping: str = Field(min_length=1)
    source_topic: str = Field(min_length=1)
    description: str = Field(min_length=1)
    settings: dict[str, Any] = Field(default_factory=dict)


class IndexCatalogModel(_Strict):
    settings: dict[str, Any] = Field(default_factory=dict)
    indices: dict[str, IndexModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _lowercase_names(self) -> IndexCatalogModel:
        invalid = [name for name in self.indices if not _INDEX_NAME.match(name)]
        if invalid:
            raise ValueError(f"index names may only hold a-z, 0-9 and `_`: {invalid}")
        return self
