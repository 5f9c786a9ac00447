"""JSON Schema of flow documents, generated from the models and the plugins registered.

Tasks, triggers, conditions, task runners and inputs are ``oneOf`` unions whose members are told
apart by their ``type`` (an ``enum`` of the canonical type name and its aliases). Each plugin
definition also carries ``x-outputs`` (the schema of what it returns) and marks its dynamic
properties with ``x-dynamic: true``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import CoreSchema, core_schema

from kestra_stream.flows.model import Flow
from kestra_stream.inputs.model import INPUT_CLASSES
from kestra_stream.plugins.base import Condition, Plugin, Task, TaskRunner, Trigger
from kestra_stream.plugins.registry import PluginRegistry
from kestra_stream.plugins.registry import registry as default_registry

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REF_TEMPLATE = "#/$defs/{model}"
_KINDS: dict[str, type[Plugin]] = {
    "Task": Task,
    "Trigger": Trigger,
    "Condition": Condition,
    "TaskRunner": TaskRunner,
}
_ANY_PLUGIN = {"type": "object", "properties": {"type": {"type": "string"}}, "required": ["type"]}


class _Lenient(GenerateJsonSchema):
    """A property type JSON Schema cannot describe (e.g. a callable) becomes "anything"."""

    def handle_invalid_for_json_schema(
        self, schema: CoreSchema | core_schema.CoreSchema, error_info: str
    ) -> JsonSchemaValue:
        return {}


def _generate(models: list[type[BaseModel]]) -> tuple[dict[type[BaseModel], str], dict[str, Any]]:
    unique = list(dict.fromkeys(models))
    keys, schema = models_json_schema(
        [(model, "validation") for model in unique], ref_template=REF_TEMPLATE, schema_generator=_Lenient
    )
    names = {model: keys[(model, "validation")]["$ref"].rsplit("/", 1)[-1] for model in unique}
    return names, dict(schema.get("$defs", {}))


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(model=name)}


def _describe_plugin(
    definition: dict[str, Any], cls: type[Plugin], names: dict[type[BaseModel], str]
) -> None:
    properties = definition.setdefault("properties", {})
    properties["type"] = {"type": "string", "enum": [cls.plugin_type, *cls.plugin_aliases]}
    definition["title"] = cls.plugin_type
    if cls.outputs_model is not None:
        definition["x-outputs"] = _ref(names[cls.outputs_model])


def flow_json_schema(registry: PluginRegistry | None = None) -> dict[str, Any]:
    """The schema of a flow document, for editors and for validating flows without Python."""
    plugins = (registry or default_registry).plugins()
    outputs: list[type[BaseModel]] = [cls.outputs_model for cls in plugins if cls.outputs_model is not None]
    inputs = list(INPUT_CLASSES.values())
    names, definitions = _generate([Flow, *plugins, *inputs, *outputs])
    for cls in plugins:
        _describe_plugin(definitions[names[cls]], cls, names)
    for kind_name, kind in _KINDS.items():
        members = [_ref(names[cls]) for cls in plugins if issubclass(cls, kind)]
        definitions[kind_name] = {"oneOf": members} if members else _ANY_PLUGIN
    definitions["Input"] = {"oneOf": [_ref(names[cls]) for cls in inputs]}
    return {
        "$schema": DRAFT,
        "title": "Kestra flow",
        **_ref(names[Flow]),
        "$defs": definitions,
    }


def plugin_json_schema(type_name: str, registry: PluginRegistry | None = None) -> dict[str, Any]:
    """One plugin's documentation: properties, outputs, dynamic properties and aliases."""
    cls = (registry or default_registry).resolve(type_name)
    models: list[type[BaseModel]] = [cls]
    if cls.outputs_model is not None:
        models.append(cls.outputs_model)
    names, definitions = _generate(models)
    _describe_plugin(definitions[names[cls]], cls, names)
    for kind_name in (*_KINDS, "Input"):
        definitions.setdefault(kind_name, _ANY_PLUGIN)
    kind = next((name.lower() for name, base in _KINDS.items() if issubclass(cls, base)), "plugin")
    return {
        "type": cls.plugin_type,
        "aliases": list(cls.plugin_aliases),
        "kind": kind,
        "dynamicProperties": sorted(
            cls.model_fields[name].alias or name for name in cls.dynamic_properties()
        ),
        "properties": _ref(names[cls]),
        "outputs": _ref(names[cls.outputs_model]) if cls.outputs_model is not None else None,
        "$defs": definitions,
    }
