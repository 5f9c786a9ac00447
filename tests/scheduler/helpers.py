"""Flows and clocks for the scheduler's tests."""

from __future__ import annotations

from datetime import UTC, datetime

from kestra_stream.flows import Flow, parse_flow


def flow_with(trigger_yaml: str, *, extra: str = "", flow_id: str = "scheduled") -> Flow:
    trigger = "\n".join("  " + line for line in trigger_yaml.strip().splitlines())
    source = f"""
id: {flow_id}
namespace: company.team
{extra}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
{trigger}
"""
    flow = parse_flow(source)
    return flow.model_copy(update={"revision": 1, "tenant_id": "main"})


def at(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
