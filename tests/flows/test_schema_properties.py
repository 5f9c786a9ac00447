"""No property that validation accepts is ignored at run time.

The test walks the JSON schema of flows (``kestra_stream.flows.schema.flow_json_schema``): every
property of every registered plugin type, and the properties of the option models they hold
(``retry``, ``workerGroup``, ``checkFrequency``...), must be either

* read by the implementation: its Python name is accessed as an attribute (``.max_attempts``) or
  named as a string (``"maxAttempts"``) somewhere in the product's code, or
* declared in ``unsupported_properties`` of the class that adds it (a WARN line in the execution
  log when a flow sets it, ``executor/core/_unsupported.py``), or
* in a plugin that warns as a whole (a task runner other than ``Process`` says it runs locally).

(workerGroup, taskCache, Pause onPause, PublicHoliday and restartBehavior were allowed here while
issue 10 implemented them; all are read by the code now.)

A new property nobody reads fails here until it is implemented or declared unsupported.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from kestra_stream.flows.schema import flow_json_schema
from kestra_stream.plugins.base import Plugin, Task, TaskRunner
from kestra_stream.plugins.registry import registry

REPO = Path(__file__).resolve().parents[2]
# Python packages of the product, and the UI (it reads e.g. an input's `displayName`).
PRODUCT_SOURCES = (("kestra_stream", "*.py"), ("kestra_stream_plugins", "*.py"), ("ui/src", "*.[tv][su]*"))


@cache
def _product_source() -> str:
    return "\n".join(
        path.read_text()
        for folder, pattern in PRODUCT_SOURCES
        if (REPO / folder).is_dir()
        for path in sorted((REPO / folder).rglob(pattern))
        if path.is_file()
    )


# Types whose validation always refuses them: nothing of theirs is accepted (asserted below).
REJECTED_TYPES = {"io.kestra.plugin.core.flow.Template": {"namespace": "n", "templateId": "t"}}


def _rejected_classes() -> set[type[Plugin]]:
    return {registry.resolve(name) for name in REJECTED_TYPES}


@cache
def _schema() -> dict[str, Any]:
    return flow_json_schema()


@cache
def _read_by_code(snake: str, alias: str) -> bool:
    source = _product_source()
    names = {re.escape(snake), re.escape(alias)}
    return any(re.search(rf"\.{name}\b", source) or re.search(rf"[\"']{name}[\"']", source) for name in names)


def _declared_unsupported(model: type[BaseModel]) -> set[str]:
    declared: set[str] = set()
    for klass in model.__mro__:
        declared |= set(getattr(klass, "unsupported_properties", {}))
    return declared


def _warns_as_a_whole(model: type[BaseModel]) -> bool:
    return issubclass(model, TaskRunner) and model.before_run is TaskRunner.before_run


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not issubclass(annotation, Plugin):
            yield annotation
        return
    for argument in typing.get_args(annotation):
        yield from _nested_models(argument)


def _plugin_classes() -> dict[str, type[Plugin]]:
    """Schema definition name → class, for each plugin definition of the generated schema."""
    found: dict[str, type[Plugin]] = {}
    for name, definition in _schema()["$defs"].items():
        type_schema = definition.get("properties", {}).get("type", {})
        if "enum" in type_schema and type_schema["enum"][0] in registry.names():
            cls = registry.resolve(type_schema["enum"][0])
            if cls not in _rejected_classes():
                found[name] = cls
    return found


def _unknown(model: type[BaseModel], aliases: list[str], seen: set[type[BaseModel]]) -> Iterator[str]:
    seen.add(model)
    by_alias = {info.alias or name: (name, info) for name, info in model.model_fields.items()}
    unsupported = _declared_unsupported(model)
    for alias in aliases:
        if alias == "type" or alias not in by_alias:
            continue
        snake, info = by_alias[alias]
        if alias in unsupported or _warns_as_a_whole(model):
            continue  # warned as a whole, its option model included
        if not _read_by_code(snake, alias):
            yield f"{model.__name__}.{alias}"
        for nested in _nested_models(info.annotation):
            if nested not in seen:
                nested_aliases = [i.alias or n for n, i in nested.model_fields.items()]
                yield from _unknown(nested, nested_aliases, seen)


def test_schema_covers_every_registered_plugin() -> None:
    classes = set(_plugin_classes().values())
    registered = {registry.resolve(name) for name in registry.names()} - _rejected_classes()
    assert registered <= classes, sorted(cls.__name__ for cls in registered - classes)


def test_every_accepted_property_is_implemented_or_warned() -> None:
    schema = _schema()
    unknown: set[str] = set()
    seen: set[type[BaseModel]] = set()
    for name, cls in _plugin_classes().items():
        aliases = list(schema["$defs"][name].get("properties", {}))
        unknown |= set(_unknown(cls, aliases, seen if cls in seen else set()))
    assert not unknown, (
        "properties accepted by validation but read by no code: implement them or declare them in "
        f"`unsupported_properties` of their class (a WARN in the execution log): {sorted(unknown)}"
    )


@pytest.mark.parametrize("type_name", sorted(REJECTED_TYPES))
def test_rejected_types_are_rejected(type_name: str) -> None:
    definition = {"id": "t", "type": type_name, **REJECTED_TYPES[type_name]}
    with pytest.raises(ValueError):
        registry.resolve(type_name).model_validate(definition)


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ({"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "m"}, []),
        (
            {"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "m", "logToFile": True},
            [("logToFile", Task.unsupported_properties["logToFile"])],
        ),
    ],
)
def test_unsupported_in_use(task: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    plugin = registry.resolve(task["type"]).model_validate(task)
    assert plugin.unsupported_in_use() == expected
