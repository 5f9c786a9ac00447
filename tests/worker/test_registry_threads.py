"""The plugin registry's lazy loading under concurrent first lookups (worker threads)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest

from kestra_stream.plugins.registry import PluginRegistry

registry_module = sys.modules[PluginRegistry.__module__]


class _Dummy:
    pass


def test_concurrent_first_lookups_wait_for_the_whole_load(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = PluginRegistry(builtins=True)
    imports: list[str] = []

    def slow_import(name: str) -> None:
        imports.append(name)
        time.sleep(0.05)  # wide window: without the lock, other threads see a half-loaded registry
        plugin: Any = type(f"Plugin_{name}", (_Dummy,), {})
        fresh.add(plugin, f"test.{name}")

    monkeypatch.setattr(registry_module, "_BUILTIN_MODULES", ("first", "second", "third"))
    monkeypatch.setattr(registry_module, "_import_package", slow_import)
    monkeypatch.setattr(registry_module.importlib.metadata, "entry_points", lambda **_: [])
    start = threading.Barrier(16)
    errors: list[BaseException] = []
    resolved: list[str] = []

    def lookup() -> None:
        start.wait()
        try:
            resolved.append(fresh.resolve("test.third").__name__)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=lookup) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert resolved == ["Plugin_third"] * 16
    assert imports == ["first", "second", "third"]  # loaded once


def test_a_lookup_from_inside_the_load_does_not_deadlock(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = PluginRegistry(builtins=True)

    def reentrant_import(name: str) -> None:
        plugin: Any = type("Inner", (_Dummy,), {})
        fresh.add(plugin, "test.inner")
        assert "test.inner" in fresh  # a module looking a type up while plugins are imported

    monkeypatch.setattr(registry_module, "_BUILTIN_MODULES", ("only",))
    monkeypatch.setattr(registry_module, "_import_package", reentrant_import)
    monkeypatch.setattr(registry_module.importlib.metadata, "entry_points", lambda **_: [])
    assert fresh.resolve("test.inner").__name__ == "Inner"
