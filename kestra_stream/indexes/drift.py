"""Differences between the wanted templates/mappings and what Elasticsearch holds (pure, no I/O).

Elasticsearch echoes mappings back with small changes (``dynamic: false`` becomes ``"false"``), so both
sides are flattened to ``field path -> {parameter: text}`` before comparing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ROOT = "(root)"
# Mapping parameters Elasticsearch lets put_mapping change on an existing field.
_UPDATABLE_PARAMETERS = frozenset({"dynamic", "ignore_above"})


class IndexDriftKind(enum.Enum):
    TEMPLATE = "template"
    MISSING_FIELD = "missing field"
    CHANGED_FIELD = "changed field"
    EXTRA_FIELD = "extra field"
    NOT_AN_ALIAS = "index where an alias belongs"


@dataclass(frozen=True, kw_only=True)
class IndexDrift:
    kind: IndexDriftKind
    target: str
    path: str
    wanted: str | None
    actual: str | None
    fixable: bool

    def describe(self) -> str:
        return f"{self.kind.value} {self.path}: wanted {self.wanted}, found {self.actual}"


def flatten_mapping(mapping: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    flat: dict[str, dict[str, str]] = {}
    _flatten_into(flat, ROOT, mapping)
    return flat


def _flatten_into(flat: dict[str, dict[str, str]], path: str, node: Mapping[str, Any]) -> None:
    parameters = {key: _text(value) for key, value in node.items() if key not in ("properties", "fields")}
    if parameters or path == ROOT:
        flat[path] = parameters
    for group in ("properties", "fields"):
        for child, child_node in (node.get(group) or {}).items():
            _flatten_into(flat, child if path == ROOT else f"{path}.{child}", child_node)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        return repr(value)
    return str(value)


def flatten_settings(settings: Mapping[str, Any]) -> dict[str, str]:
    """``{"index": {"number_of_shards": "1"}}`` and ``{"number_of_shards": 1}`` flatten alike."""
    flat: dict[str, str] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            for inner, text in flatten_settings(value).items():
                flat[f"{key}.{inner}"] = text
        else:
            flat[key] = _text(value)
    return {key.removeprefix("index."): value for key, value in flat.items()}


def mapping_drift(
    target: str, wanted: Mapping[str, Any], actual: Mapping[str, Any]
) -> tuple[IndexDrift, ...]:
    wanted_flat, actual_flat = flatten_mapping(wanted), flatten_mapping(actual)
    drifts: list[IndexDrift] = []
    for path, parameters in wanted_flat.items():
        found = actual_flat.get(path)
        if found is None:
            drifts.append(_field(IndexDriftKind.MISSING_FIELD, target, path, parameters, None, True))
        elif found != parameters:
            keys = parameters.keys() | found.keys()
            changed = {key for key in keys if parameters.get(key) != found.get(key)}
            fixable = changed <= _UPDATABLE_PARAMETERS
            drifts.append(_field(IndexDriftKind.CHANGED_FIELD, target, path, parameters, found, fixable))
    for path in sorted(actual_flat.keys() - wanted_flat.keys()):
        drifts.append(_field(IndexDriftKind.EXTRA_FIELD, target, path, None, actual_flat[path], False))
    return tuple(drifts)


def template_drift(
    target: str,
    *,
    wanted_patterns: Sequence[str],
    wanted_settings: Mapping[str, str],
    wanted_mappings: Mapping[str, Any],
    actual: Mapping[str, Any],
) -> tuple[IndexDrift, ...]:
    """``actual`` is the ``index_template`` object of GET _index_template."""
    template = actual.get("template") or {}
    differences: list[tuple[str, str, str]] = []
    if list(actual.get("index_patterns") or []) != list(wanted_patterns):
        differences.append(("index_patterns", str(list(wanted_patterns)), str(actual.get("index_patterns"))))
    found_settings = flatten_settings(template.get("settings") or {})
    if found_settings != dict(wanted_settings):
        differences.append(("settings", str(dict(wanted_settings)), str(found_settings)))
    for drift in mapping_drift(target, wanted_mappings, template.get("mappings") or {}):
        differences.append((f"mappings {drift.path}", str(drift.wanted), str(drift.actual)))
    kind = IndexDriftKind.TEMPLATE
    return tuple(
        IndexDrift(kind=kind, target=target, path=path, wanted=want, actual=got, fixable=True)
        for path, want, got in differences
    )


def _field(
    kind: IndexDriftKind,
    target: str,
    path: str,
    wanted: Mapping[str, str] | None,
    actual: Mapping[str, str] | None,
    fixable: bool,
) -> IndexDrift:
    return IndexDrift(
        kind=kind,
        target=target,
        path=path,
        wanted=_parameters(wanted),
        actual=_parameters(actual),
        fixable=fixable,
    )


def _parameters(parameters: Mapping[str, str] | None) -> str | None:
    if parameters is None:
        return None
    return "{" + ", ".join(f"{key}={value}" for key, value in sorted(parameters.items())) + "}"
