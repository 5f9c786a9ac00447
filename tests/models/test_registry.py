from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from kestra_stream.plugins import (
    AnyTask,
    PluginConflictError,
    PluginRegistry,
    RunnableTask,
    Trigger,
    UnknownPluginError,
    dynamic,
    registry,
)


class EchoOutputs(BaseModel):
    echoed: str


class Echo(RunnableTask):
    text: str = dynamic()
    outputs_model = EchoOutputs


def test_resolve_closest_and_aliases() -> None:
    assert registry.resolve("io.kestra.core.tasks.flows.If") is registry.resolve(
        "io.kestra.plugin.core.flow.If"
    )
    assert registry.canonical("io.kestra.plugin.core.flow.WaitFor") == "io.kestra.plugin.core.flow.LoopUntil"
    with pytest.raises(UnknownPluginError) as raised:
        registry.resolve("io.kestra.plugin.core.flow.Swich")
    assert raised.value.suggestions == ("io.kestra.plugin.core.flow.Switch",)
    assert "did you mean io.kestra.plugin.core.flow.Switch?" in str(raised.value)
    assert registry.closest("completely.different.Thing") == []


def test_plugins_by_kind() -> None:
    triggers = registry.plugins(Trigger)
    assert {cls.plugin_type for cls in triggers} >= {
        "io.kestra.plugin.core.trigger.Schedule",
        "io.kestra.plugin.core.trigger.Flow",
        "io.kestra.plugin.core.trigger.Webhook",
    }


def test_a_separate_registry_through_the_validation_context() -> None:
    local = PluginRegistry()
    local.add(Echo, "acme.Echo", "acme.OldEcho")
    assert Echo.dynamic_properties() == frozenset({"text", "timeout", "run_if"})
    adapter = TypeAdapter(AnyTask)
    task = adapter.validate_python(
        {"id": "e", "type": "acme.OldEcho", "text": "hi"}, context={"registry": local}
    )
    assert isinstance(task, Echo)
    with pytest.raises(ValidationError) as raised:
        adapter.validate_python({"id": "e", "type": "acme.Echo"}, context={"registry": PluginRegistry()})
    assert raised.value.errors()[0]["loc"] == ("type",)


def test_conflicting_registrations_are_refused() -> None:
    local = PluginRegistry()
    local.add(Echo, "acme.Echo")

    class Other(RunnableTask):
        pass

    with pytest.raises(PluginConflictError):
        local.add(Other, "acme.Echo")
    local.add(Echo, "acme.Echo")  # registering the same class again is harmless


class _EntryPoint:
    def __init__(self, loaded: Any) -> None:
        self._loaded = loaded

    def load(self) -> Any:
        return self._loaded


def test_entry_points_are_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[PluginRegistry] = []

    def register(target: PluginRegistry) -> None:
        calls.append(target)
        target.add(Echo, "thirdparty.Echo")

    def entry_points(group: str) -> Iterator[_EntryPoint]:
        assert group == "kestra_stream.plugins"
        return iter([_EntryPoint(register)])

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    local = PluginRegistry(builtins=True)
    assert "thirdparty.Echo" in local
    assert local.resolve("thirdparty.Echo") is Echo
    assert len(calls) == 1
