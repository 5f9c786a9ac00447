from __future__ import annotations

import textwrap

from kestra_stream.config import Config
from kestra_stream.flows import PluginDefault, apply_plugin_defaults, global_plugin_defaults, parse_flow

LOG = "io.kestra.plugin.core.log.Log"


def test_missing_property_comes_from_flow_defaults() -> None:
    flow = parse_flow(
        textwrap.dedent(f"""\
            id: defaults
            namespace: company.team
            tasks:
              - {{id: a, type: {LOG}}}
              - {{id: b, type: {LOG}, message: mine, level: WARN}}
            pluginDefaults:
              - type: {LOG}
                values: {{message: from defaults, level: ERROR}}
            """)
    )
    a, b = flow.tasks
    assert (a.message, a.level) == ("from defaults", "ERROR")  # type: ignore[attr-defined]
    assert (b.message, b.level) == ("mine", "WARN")  # type: ignore[attr-defined]


def test_forced_default_overrides_the_task() -> None:
    document = {
        "tasks": [{"id": "a", "type": LOG, "message": "mine", "level": "INFO"}],
        "pluginDefaults": [{"type": LOG, "forced": True, "values": {"level": "ERROR"}}],
    }
    merged = apply_plugin_defaults(document, [])
    assert merged["tasks"][0] == {"id": "a", "type": LOG, "message": "mine", "level": "ERROR"}


def test_prefix_match_is_on_whole_segments() -> None:
    defaults = [PluginDefault(type="io.kestra.plugin.core.log", values={"level": "DEBUG"})]
    document = {
        "tasks": [
            {"id": "a", "type": LOG},
            {"id": "b", "type": "io.kestra.plugin.core.logging.Other"},
        ]
    }
    merged = apply_plugin_defaults(document, defaults)
    assert merged["tasks"][0]["level"] == "DEBUG"
    assert "level" not in merged["tasks"][1]


def test_flow_defaults_win_over_global_ones_and_maps_merge_deeply() -> None:
    document = {
        "tasks": [{"id": "s", "type": "io.kestra.plugin.scripts.shell.Commands", "taskRunner": {"cpu": 1}}],
        "pluginDefaults": [
            {"type": "io.kestra.plugin.scripts", "values": {"taskRunner": {"type": "flow.Runner"}}}
        ],
    }
    global_defaults = [
        PluginDefault(
            type="io.kestra.plugin.scripts", values={"taskRunner": {"type": "global.Runner", "memory": 2}}
        )
    ]
    task = apply_plugin_defaults(document, global_defaults)["tasks"][0]
    assert task["taskRunner"] == {"type": "flow.Runner", "memory": 2, "cpu": 1}


def test_defaults_reach_nested_tasks_triggers_and_conditions_but_not_user_data() -> None:
    document = {
        "tasks": [
            {
                "id": "seq",
                "type": "io.kestra.plugin.core.flow.Sequential",
                "tasks": [{"id": "a", "type": LOG}],
            }
        ],
        "triggers": [
            {
                "id": "f",
                "type": "io.kestra.plugin.core.trigger.Flow",
                "conditions": [{"type": "io.kestra.plugin.core.condition.ExecutionNamespace"}],
            }
        ],
        "variables": {"v": {"type": LOG}},
    }
    defaults = [
        PluginDefault(type=LOG, values={"message": "m"}),
        PluginDefault(type="io.kestra.plugin.core.condition", values={"namespace": "company"}),
    ]
    merged = apply_plugin_defaults(document, defaults)
    assert merged["tasks"][0]["tasks"][0]["message"] == "m"
    assert merged["triggers"][0]["conditions"][0]["namespace"] == "company"
    assert merged["variables"] == {"v": {"type": LOG}}


def test_deprecated_task_defaults_are_applied() -> None:
    document = {
        "tasks": [{"id": "a", "type": LOG}],
        "taskDefaults": [{"type": LOG, "values": {"message": "x"}}],
    }
    assert apply_plugin_defaults(document, [])["tasks"][0]["message"] == "x"


def test_global_defaults_from_configuration() -> None:
    config = Config(values={"kestra.plugins.defaults": [{"type": LOG, "values": {"message": "global"}}]})
    defaults = global_plugin_defaults(config)
    flow = parse_flow(f"id: g\nnamespace: n\ntasks:\n  - {{id: a, type: {LOG}}}\n", defaults=defaults)
    assert flow.tasks[0].message == "global"  # type: ignore[attr-defined]
    assert global_plugin_defaults(Config()) == []
