"""The index catalog resolved against the configuration: names, template patterns, settings, mappings.

Index settings come from ``indexer/indices.yaml`` and ``kestra.elasticsearch.defaults.indices.*``
(configuration wins). Configuration keys are compared in canonical form, where ``number_of_replicas`` and
``number-of-replicas`` are the same key, so settings are matched against a list of the ones we allow.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

import kestra_stream
from kestra_stream.config import Config, canonical_key
from kestra_stream.indexes.schema import IndexCatalogModel

DEFAULT_INDEX_PREFIX = "kestra_"
FIRST_ROTATING_SUFFIX = "-000001"

# Index settings that may be set through configuration (canonical form -> Elasticsearch name).
_SETTINGS = (
    "number_of_shards",
    "number_of_replicas",
    "auto_expand_replicas",
    "refresh_interval",
    "max_result_window",
    "max_inner_result_window",
    "codec",
    "mapping.total_fields.limit",
    "mapping.nested_objects.limit",
    "translog.durability",
    "translog.sync_interval",
)
_SETTINGS_BY_CANONICAL = {canonical_key(name): name for name in _SETTINGS}


class IndexCatalogError(ValueError):
    pass


class Layout(enum.Enum):
    SINGLE = "single"
    ROTATING = "rotating"


@dataclass(frozen=True, kw_only=True)
class IndexSpec:
    """One logical index: its template, and the index (single) or alias over indices (rotating)."""

    key: str
    name: str
    layout: Layout
    settings: Mapping[str, str]
    mappings: Mapping[str, Any]
    source_topic: str
    description: str

    @property
    def template_name(self) -> str:
        return self.name

    @property
    def index_patterns(self) -> tuple[str, ...]:
        return (self.name,) if self.layout is Layout.SINGLE else (f"{self.name}-*",)

    @property
    def first_index(self) -> str:
        """The index apply creates: the index itself, or the first write index behind the alias."""
        return self.name if self.layout is Layout.SINGLE else self.name + FIRST_ROTATING_SUFFIX


@dataclass(frozen=True, kw_only=True)
class IndexCatalog:
    prefix: str
    indices: tuple[IndexSpec, ...]

    def index(self, key: str) -> IndexSpec:
        for spec in self.indices:
            if spec.key == key:
                return spec
        raise KeyError(f"no index `{key}`")


def default_index_catalog_path() -> Path:
    """``indexer/indices.yaml`` of the source tree, else of the working directory (the Docker image)."""
    beside_package = Path(kestra_stream.__file__).resolve().parent.parent / "indexer" / "indices.yaml"
    return beside_package if beside_package.exists() else Path.cwd() / "indexer" / "indices.yaml"


def load_index_catalog(config: Config, *, path: Path | None = None) -> IndexCatalog:
    path = path or default_index_catalog_path()
    model = _read_model(path)
    prefix = str(config.get("kestra.elasticsearch.defaults.indice-prefix", DEFAULT_INDEX_PREFIX))
    if prefix != prefix.lower() or any(char in prefix for char in ' "*\\<|,>/?#:'):
        raise IndexCatalogError(f"index prefix `{prefix}` must be lowercase without spaces or * , / ? # :")
    configured = _configured_settings(config)
    specs = []
    for key, index in model.indices.items():
        settings = {**_settings(model.settings), **_settings(index.settings), **configured}
        specs.append(
            IndexSpec(
                key=key,
                name=prefix + key,
                layout=Layout(index.layout),
                settings=dict(sorted(settings.items())),
                mappings=_read_mapping(path.parent / index.mapping),
                source_topic=index.source_topic,
                description=index.description,
            )
        )
    return IndexCatalog(prefix=prefix, indices=tuple(specs))


def _read_model(path: Path) -> IndexCatalogModel:
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as error:
        raise IndexCatalogError(f"index catalog not found: {path}") from error
    except yaml.YAMLError as error:
        raise IndexCatalogError(f"invalid YAML in index catalog {path}: {error}") from error
    try:
        return IndexCatalogModel.model_validate(raw)
    except ValidationError as error:
        raise IndexCatalogError(f"invalid index catalog {path}:\n{error}") from error


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        mapping = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise IndexCatalogError(f"mapping file not found: {path}") from error
    except json.JSONDecodeError as error:
        raise IndexCatalogError(f"invalid JSON in mapping {path}: {error}") from error
    if not isinstance(mapping, dict) or mapping.get("dynamic") not in (False, "false", "strict"):
        raise IndexCatalogError(f"mapping {path} must turn dynamic mapping off (`dynamic`: false or strict)")
    return mapping


def _settings(raw: Mapping[str, Any]) -> dict[str, str]:
    return {_setting_name(name): _setting_value(value) for name, value in raw.items()}


def _configured_settings(config: Config) -> dict[str, str]:
    settings = _settings(config.section("kestra.elasticsearch.defaults.indices"))
    if "number_of_replicas" in settings:
        # An explicit replica count replaces the catalog's auto-expansion instead of fighting it.
        settings.setdefault("auto_expand_replicas", "false")
    return settings


def _setting_name(name: str) -> str:
    canonical = canonical_key(name)
    canonical = canonical.removeprefix("settings.").removeprefix("index.")
    if canonical not in _SETTINGS_BY_CANONICAL:
        raise IndexCatalogError(f"unsupported index setting `{name}`; supported: {', '.join(_SETTINGS)}")
    return _SETTINGS_BY_CANONICAL[canonical]


def _setting_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
