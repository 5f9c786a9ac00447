"""Every task, trigger and condition of a flow, with its path in the document."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from kestra_stream.flows._yaml import Path
from kestra_stream.flows.model import Flow
from kestra_stream.plugins.base import Condition, Plugin, Task, Trigger

P = TypeVar("P", bound=Plugin)

TASK_BRANCHES = ("tasks", "errors", "finally", "afterExecution", "listeners")


@dataclass(frozen=True, slots=True)
class Located(Generic[P]):
    path: Path
    plugin: P


def _alias(model: BaseModel, name: str) -> str:
    info = type(model).model_fields[name]
    return info.serialization_alias or info.alias or name


def _children(value: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            child = getattr(value, name)
            if child is not None:
                yield (*path, _alias(value, name)), child
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield (*path, index), item
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, str(key)), item


def walk_plugins(value: Any, path: Path = ()) -> Iterator[Located[Plugin]]:
    """Depth-first, in document order: each plugin, then the plugins it holds."""
    for child_path, child in _children(value, path):
        if isinstance(child, Plugin):
            yield Located(child_path, child)
        if isinstance(child, BaseModel | list | tuple | dict):
            yield from walk_plugins(child, child_path)


def all_tasks(flow: Flow) -> Iterator[Located[Task]]:
    """Tasks of every branch (``tasks``, ``errors``, ``finally``, ``afterExecution``, listeners)."""
    for located in walk_plugins(flow):
        if isinstance(located.plugin, Task) and located.path[0] != "triggers":
            yield Located(located.path, located.plugin)


def all_triggers(flow: Flow) -> Iterator[Located[Trigger]]:
    for index, trigger in enumerate(flow.triggers or ()):
        yield Located(("triggers", index), trigger)


def all_conditions(flow: Flow) -> Iterator[Located[Condition]]:
    for located in walk_plugins(flow):
        if isinstance(located.plugin, Condition):
            yield Located(located.path, located.plugin)
