"""Plugin defaults (kestra-features.md §9.13), merged into the raw document before validation.

Sources, by priority: the flow's ``pluginDefaults`` (and deprecated ``taskDefaults``), then the
global ``kestra.plugins.defaults``. A default applies to every plugin object (task, trigger,
condition, task runner, at any depth) whose ``type`` equals its ``type`` or starts with it
followed by a dot. Maps are merged deeply; otherwise the plugin's own value wins, unless the
default is ``forced``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from kestra_stream.config import Config
from kestra_stream.flows.model import PluginDefault

GLOBAL_DEFAULTS_KEY = "kestra.plugins.defaults"
# Top-level properties whose content is user data or typed values, never plugins.
_NOT_PLUGINS = frozenset(
    {"inputs", "outputs", "variables", "labels", "pluginDefaults", "taskDefaults", "sla"}
)


def global_plugin_defaults(config: Config) -> list[PluginDefault]:
    """``kestra.plugins.defaults`` of the configuration (invalid entries raise ``ValueError``)."""
    raw = config.get(GLOBAL_DEFAULTS_KEY) or []
    if not isinstance(raw, list):
        raise ValueError(f"`{GLOBAL_DEFAULTS_KEY}` must be a list of {{type, forced, values}}")
    try:
        return [PluginDefault.model_validate(entry) for entry in raw]
    except ValidationError as error:
        raise ValueError(f"invalid `{GLOBAL_DEFAULTS_KEY}`: {error}") from error


def flow_plugin_defaults(document: Mapping[str, Any]) -> list[PluginDefault]:
    """The well-formed entries of a raw flow's ``pluginDefaults``/``taskDefaults`` (validation
    reports the others)."""
    found: list[PluginDefault] = []
    for key in ("pluginDefaults", "taskDefaults"):
        entries = document.get(key)
        for entry in entries if isinstance(entries, list) else ():
            try:
                found.append(PluginDefault.model_validate(entry))
            except ValidationError:
                continue
    return found


def matches(default_type: str, plugin_type: str) -> bool:
    return plugin_type == default_type or plugin_type.startswith(default_type.rstrip(".") + ".")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``; nested maps are merged, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def _with_defaults(plugin: Mapping[str, Any], defaults: Sequence[PluginDefault]) -> dict[str, Any]:
    type_name = plugin["type"]
    applicable = [default for default in defaults if matches(default.type, type_name)]
    if not applicable:
        return dict(plugin)
    merged: dict[str, Any] = {}
    # Earlier sources win: apply the least important first.
    for default in reversed([default for default in applicable if not default.forced]):
        merged = deep_merge(merged, default.values)
    merged = deep_merge(merged, plugin)
    for default in reversed([default for default in applicable if default.forced]):
        merged = deep_merge(merged, default.values)
    merged["type"] = type_name
    return merged


def _apply(value: Any, defaults: Sequence[PluginDefault]) -> Any:
    if isinstance(value, Mapping):
        node = _with_defaults(value, defaults) if isinstance(value.get("type"), str) else dict(value)
        return {key: _apply(item, defaults) for key, item in node.items()}
    if isinstance(value, list):
        return [_apply(item, defaults) for item in value]
    return value


def apply_plugin_defaults(document: Mapping[str, Any], defaults: Iterable[PluginDefault]) -> dict[str, Any]:
    """A copy of a raw flow with ``defaults`` merged into its plugins (flow-level ones are read
    from the document and take precedence over ``defaults``)."""
    ordered = [*flow_plugin_defaults(document), *defaults]
    if not ordered:
        return dict(document)
    return {key: value if key in _NOT_PLUGINS else _apply(value, ordered) for key, value in document.items()}
