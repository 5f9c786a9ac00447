"""Every example flow of kestra-features.md §10 parses and validates with the real registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from kestra_stream.flows import all_tasks, all_triggers, parse_flows
from kestra_stream.plugins import registry

EXAMPLES = sorted((Path(__file__).parent / "examples").glob("*.yaml"))


def test_all_twenty_five_examples_are_present() -> None:
    assert len(EXAMPLES) == 25


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_is_valid(path: Path) -> None:
    flows = parse_flows(path.read_text())
    assert flows
    for flow in flows:
        for located in [*all_tasks(flow), *all_triggers(flow)]:
            assert located.plugin.type in registry


def test_examples_use_only_registered_types() -> None:
    """Every `io.kestra…` type of the raw documents, at any depth (task runners too), is registered."""
    import yaml

    missing = set()
    for path in EXAMPLES:
        for document in yaml.safe_load_all(path.read_text()):
            stack = [document]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    type_name = node.get("type")
                    if (
                        isinstance(type_name, str)
                        and type_name.startswith("io.kestra")
                        and type_name not in registry
                    ):
                        missing.add(type_name)
                    stack.extend(node.values())
                elif isinstance(node, list):
                    stack.extend(node)
    assert not missing, f"unregistered types: {sorted(missing)}"


def test_examples_keep_their_details() -> None:
    flows = {flow.id: flow for path in EXAMPLES for flow in parse_flows(path.read_text())}
    assert set(flows) >= {
        "getting_started",
        "benchmark01",
        "switch",
        "parallel",
        "scheduled_date",
        "downstream",
    }
    switch = flows["switch"].tasks[0]
    assert set(switch.cases) == {"FIRST", "SECOND", "THIRD"}  # type: ignore[attr-defined]
    retry = flows["retry"].tasks[0].retry
    assert retry is not None and retry.max_attempts == 5 and retry.warning_on_retry
    assert flows["concurrency_limited_flow"].concurrency is not None
    assert flows["concurrency_limited_flow"].concurrency.limit == 2
    assert flows["regex_input"].inputs is not None and flows["regex_input"].inputs[2].defaults == "2024-04-12"
