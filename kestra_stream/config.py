"""Configuration with Kestra's keys: a YAML file, then ``KESTRA_*`` environment variables on top.

Keys are compared in a canonical form (lower case, ``-``/``_``/camelCase boundaries read as ``.``)
because that is how Kestra maps ``kestra.storage.s3.access-key`` to ``KESTRA_STORAGE_S3_ACCESS_KEY``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[-_.]+")
_ENV_PREFIX = "KESTRA_"


def canonical_key(key: str) -> str:
    return _SEPARATORS.sub(".", _CAMEL_BOUNDARY.sub(".", key)).lower().strip(".")


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, path))
        else:
            flat[canonical_key(path)] = value
    return flat


def _env_value(raw: str) -> Any:
    """Env values are YAML scalars or flow collections, so ``KESTRA_X=3`` is an int and ``[a, b]`` a list."""
    try:
        return yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        return raw


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class Config:
    """Flat view over the merged configuration tree; see :func:`load_config`."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(canonical_key(key), default)

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise ConfigError(f"missing configuration key `{key}`")
        return value

    def section(self, prefix: str) -> dict[str, Any]:
        """Every key under ``prefix`` with the prefix removed, e.g. Kafka client properties."""
        head = canonical_key(prefix) + "."
        return {key[len(head) :]: value for key, value in self.values.items() if key.startswith(head)}

    def with_overrides(self, overrides: Mapping[str, Any]) -> Config:
        merged = dict(self.values)
        merged.update({canonical_key(key): value for key, value in overrides.items()})
        return Config(values=merged)


def load_config(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if path is not None:
        try:
            tree = yaml.safe_load(path.read_text()) or {}
        except FileNotFoundError as error:
            raise ConfigError(f"configuration file not found: {path}") from error
        except yaml.YAMLError as error:
            raise ConfigError(f"invalid YAML in configuration file {path}: {error}") from error
        if not isinstance(tree, Mapping):
            raise ConfigError(f"configuration file {path} must hold a mapping at the top level")
        values.update(_flatten(tree))
    inline = environ.get("KESTRA_CONFIGURATION")
    if inline:
        tree = yaml.safe_load(inline) or {}
        if not isinstance(tree, Mapping):
            raise ConfigError("KESTRA_CONFIGURATION must hold a YAML mapping")
        values.update(_flatten(tree))
    for name, raw in environ.items():
        if name.startswith(_ENV_PREFIX) and name != "KESTRA_CONFIGURATION":
            values[canonical_key(name)] = _env_value(raw)
    return Config(values=values)
