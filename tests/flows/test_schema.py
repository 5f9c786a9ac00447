from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from kestra_stream.flows import flow_json_schema, plugin_json_schema
from kestra_stream.plugins import registry

EXAMPLES = sorted((Path(__file__).parent / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def schema() -> dict:
    return flow_json_schema()


@pytest.fixture(scope="module")
def validator(schema: dict):  # type: ignore[no-untyped-def]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_unions_cover_every_registered_plugin(schema: dict) -> None:
    definitions = schema["$defs"]
    task_types = set()
    for member in definitions["Task"]["oneOf"]:
        definition = definitions[member["$ref"].rsplit("/", 1)[-1]]
        task_types.update(definition["properties"]["type"]["enum"])
    assert "io.kestra.plugin.core.flow.If" in task_types
    assert "io.kestra.core.tasks.flows.If" in task_types
    assert "io.kestra.plugin.core.log.Log" in task_types
    triggers = {member["$ref"] for member in definitions["Trigger"]["oneOf"]}
    assert len(triggers) >= 4
    assert len(definitions["Condition"]["oneOf"]) >= 17
    assert len(definitions["Input"]["oneOf"]) == 19
    assert len(task_types) >= len([name for name in registry.names() if "trigger" not in name]) // 2


def test_plugins_expose_outputs_and_dynamic_properties(schema: dict) -> None:
    definitions = schema["$defs"]
    if_definition = definitions["If"]
    assert if_definition["properties"]["condition"]["x-dynamic"] is True
    outputs = definitions[if_definition["x-outputs"]["$ref"].rsplit("/", 1)[-1]]
    assert "evaluationResult" in outputs["properties"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_examples_validate_against_the_schema(validator, path: Path) -> None:  # type: ignore[no-untyped-def]
    for document in yaml.safe_load_all(path.read_text()):
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
        assert not errors, "\n".join(f"{list(error.path)}: {error.message[:200]}" for error in errors[:5])


@pytest.mark.parametrize(
    "document",
    [
        {"id": "x", "namespace": "n"},
        {"id": "x", "namespace": "n", "tasks": [{"id": "a", "type": "io.kestra.plugin.core.log.Logg"}]},
        {
            "id": "x",
            "namespace": "n",
            "tasks": [{"id": "a", "type": "io.kestra.plugin.core.log.Log", "msg": "m"}],
        },
        {
            "id": "x",
            "namespace": "N",
            "tasks": [{"id": "a", "type": "io.kestra.plugin.core.log.Log", "message": "m"}],
        },
    ],
)
def test_invalid_documents_are_rejected_by_the_schema(validator, document: dict) -> None:  # type: ignore[no-untyped-def]
    assert list(validator.iter_errors(document))


def test_plugin_json_schema_documents_one_plugin() -> None:
    description = plugin_json_schema("io.kestra.core.tasks.flows.Switch")
    assert description["type"] == "io.kestra.plugin.core.flow.Switch"
    assert description["kind"] == "task"
    assert "value" in description["dynamicProperties"]
    assert description["outputs"] is not None
    jsonschema.Draft202012Validator.check_schema({"$defs": description["$defs"], **description["properties"]})
