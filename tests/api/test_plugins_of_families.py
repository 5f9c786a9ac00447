"""Every plugin of the kestra_stream_plugins families (registered through the entry points) is
listed by ``/api/v1/plugins``, documented with its JSON schema by ``/api/v1/plugins/{type}`` (also
under its old aliases), part of the editor's flow schema, and accepted by flow validation; on server
local's assembly and on a standalone server (Kafka + Elasticsearch). Kestra serves these routes
per instance, without a tenant."""

from __future__ import annotations

import importlib.metadata

from api_backends import Api

from kestra_stream.plugins import registry
from kestra_stream.plugins.registry import ENTRY_POINT_GROUP

FAMILIES = sorted(entry.name for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
PLUGINS = [cls for cls in registry.plugins() if cls.__module__.startswith("kestra_stream_plugins.")]
KINDS = ("tasks", "triggers", "conditions", "taskRunners")


def test_the_families_register_through_entry_points() -> None:
    assert {"scripts", "notifications", "git"} <= set(FAMILIES), FAMILIES
    families = {cls.__module__.split(".")[1] for cls in PLUGINS}
    assert families == set(FAMILIES), (families, FAMILIES)


async def test_every_family_plugin_is_listed_documented_and_in_the_flow_schema(api: Api) -> None:
    groups = await api.json("GET", "/api/v1/plugins")
    # the tenant path (issue 11's interface) answers the same as Kestra 1.3's instance path
    assert await api.json("GET", "/api/v1/main/plugins") == groups
    listed = {type_name for group in groups for kind in KINDS for type_name in group[kind]}
    missing = [cls.plugin_type for cls in PLUGINS if cls.plugin_type not in listed]
    assert not missing, missing
    ruby_main = await api.json("GET", "/api/v1/main/plugins/io.kestra.plugin.scripts.ruby.Script")
    assert ruby_main["schema"]["type"] == "io.kestra.plugin.scripts.ruby.Script"
    flow_schema = await api.json("GET", "/api/v1/plugins/schemas/FLOW")
    titles = {definition.get("title") for definition in flow_schema["$defs"].values()}
    for cls in PLUGINS:
        for name in (cls.plugin_type, *cls.plugin_aliases):
            doc = await api.json("GET", f"/api/v1/plugins/{name}")
            assert doc["schema"]["type"] == cls.plugin_type, name
            definition = doc["schema"]["$defs"][doc["schema"]["properties"]["$ref"].rsplit("/", 1)[-1]]
            assert definition["properties"]["type"]["enum"][0] == cls.plugin_type
            assert len(definition["properties"]) > 2, (name, sorted(definition["properties"]))
            header, _, body = doc["markdown"].partition("\n\n")
            assert header == f"# {cls.plugin_type}" and body.strip() == (cls.__doc__ or "").strip() != "", (
                name
            )
        assert cls.plugin_type in titles, cls.plugin_type
        if cls.outputs_model is not None:  # the outputs the editor completes after `outputs.<id>.`
            assert doc["schema"]["outputs"] is not None, cls.plugin_type
    git_clone = await api.json("GET", "/api/v1/plugins/io.kestra.plugin.git.Clone")
    outputs = git_clone["schema"]["$defs"][git_clone["schema"]["outputs"]["$ref"].rsplit("/", 1)[-1]]
    assert set(outputs["properties"]) == {"directory"}
    ruby = await api.json("GET", "/api/v1/plugins/io.kestra.plugin.scripts.ruby.Script")
    outputs = ruby["schema"]["$defs"][ruby["schema"]["outputs"]["$ref"].rsplit("/", 1)[-1]]
    assert {"vars", "exitCode", "outputFiles"} <= set(outputs["properties"])


async def test_flows_of_the_families_validate_with_line_and_path(api: Api, unique: str) -> None:
    flow = (
        f"id: families\nnamespace: {unique}\ntasks:\n"
        "  - id: sync\n    type: io.kestra.plugin.git.SyncFlows\n    url: https://example.com/r.git\n"
        "    targetNamespace: prod\n"
        "  - id: slack\n    type: io.kestra.plugin.notifications.slack.SlackExecution\n"
        "    url: https://hooks.example.com/x\n"
        "  - id: ruby\n    type: io.kestra.plugin.scripts.ruby.Script\n    script: puts 1\n"
        "  - id: bad\n    type: io.kestra.plugin.git.SyncFlows\n    url: https://example.com/r.git\n"
        "    targetNamespace: prod\n    dryrun: true\n"
    )
    results = await api.json(
        "POST", "/api/v1/main/flows/validate", data=flow, headers={"Content-Type": "application/x-yaml"}
    )
    (result,) = results
    assert "tasks[3]" in result["constraints"] and "dryrun" in result["constraints"], result
    assert "tasks[0]" not in result["constraints"] and "tasks[2]" not in result["constraints"], result
