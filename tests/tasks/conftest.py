"""A real ``TaskRunContext``: the real expression engine, local storage, in-memory KV, collecting sinks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.kv import InMemoryKVStore
from kestra_stream.runtime import CollectingSink, TaskRunContext, TaskRunIdentity
from kestra_stream.storage import LocalStorage


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


IDENTITY = TaskRunIdentity(
    namespace="company.team", flow_id="flow", execution_id="exec1", task_id="task", task_run_id="run1"
)
BASE_VARIABLES: dict[str, Any] = {
    "flow": {"id": "flow", "namespace": "company.team"},
    "execution": {"id": "exec1"},
    "task": {"id": "task", "type": "?"},
    "taskrun": {"id": "run1", "attemptsCount": 0},
}

MakeContext = Callable[..., TaskRunContext]


@pytest.fixture
def sink() -> CollectingSink:
    return CollectingSink()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kv(clock: Clock) -> InMemoryKVStore:
    return InMemoryKVStore(clock=clock)


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(base_path=tmp_path / "storage")


@pytest.fixture
def make_context(
    tmp_path: Path, sink: CollectingSink, kv: InMemoryKVStore, local_storage: LocalStorage
) -> Iterator[MakeContext]:
    made: list[TaskRunContext] = []

    def make(variables: Mapping[str, Any] | None = None, **overrides: Any) -> TaskRunContext:
        options: dict[str, Any] = {
            "identity": IDENTITY,
            "variables": {**BASE_VARIABLES, **(variables or {})},
            "renderer": ExpressionEngine(),
            "storage": local_storage,
            "kv": kv,
            "log_sink": sink,
            "metric_sink": sink,
            "tmp_dir": tmp_path / "work",
        }
        options.update(overrides)
        context = TaskRunContext(**options)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def ctx(make_context: MakeContext) -> TaskRunContext:
    return make_context()
