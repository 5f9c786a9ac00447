"""Per-flow lookups the rules need on every event, built once per flow object."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from kestra_stream.flows.model import Flow
from kestra_stream.plugins.base import Task
from kestra_stream.plugins.flow import Dag, ForEachItem, Pause, Switch
from kestra_stream.plugins.flow._branches import WithHandlers


@dataclass(slots=True)
class FlowIndex:
    flow: Flow
    tasks: dict[str, Task] = field(default_factory=dict)
    main_ids: frozenset[str] = frozenset()
    after_execution_ids: frozenset[str] = frozenset()
    _dumps: dict[str, dict[str, Any]] = field(default_factory=dict)
    cached: dict[str, Any] = field(default_factory=dict)
    """Per-flow values rules derive once (e.g. the root container)."""
    foreach_item_parts: dict[str, list[Task]] = field(default_factory=dict)
    """ForEachItem id → its internal children (``<id>_split``, ``<id>_items``, ``<id>_merge``)."""

    def task(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def task_definition(self, task: Task) -> dict[str, Any]:
        """The task as a plain dict for a worker job (plugin defaults already applied at parse time)."""
        dumped = self._dumps.get(task.id)
        if dumped is None:
            dumped = self._dumps[task.id] = task.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped


def _children_lists(task: Task) -> list[list[Task]]:
    lists: list[list[Task]] = []
    if isinstance(task, Dag):
        lists.append([node.task for node in task.tasks])
    elif isinstance(task, Switch):
        lists.extend((task.cases or {}).values())
        lists.append(task.defaults or [])
    elif isinstance(task, Pause):
        lists.append(task.tasks or [])
        if task.on_pause is not None:
            lists.append([task.on_pause])
    else:
        for name in ("tasks", "then", "else_"):
            value = getattr(task, name, None)
            if isinstance(value, list):
                lists.append(value)
    if isinstance(task, WithHandlers):
        lists.append(task.errors or [])
        lists.append(task.finally_ or [])
    return lists


def _collect(tasks: list[Task], into: dict[str, Task]) -> None:
    for task in tasks:
        into[task.id] = task
        for children in _children_lists(task):
            _collect(children, into)


def _build(flow: Flow) -> FlowIndex:
    index = FlowIndex(flow=flow)
    for branch in (flow.tasks, flow.errors or [], flow.finally_ or [], flow.after_execution or []):
        _collect(branch, index.tasks)
    from kestra_stream.executor.core._foreach_item_jobs import foreach_item_parts

    for task in list(index.tasks.values()):
        if isinstance(task, ForEachItem):
            parts = foreach_item_parts(task.id, task.items, task.batch, wait=task.wait)
            index.foreach_item_parts[task.id] = parts
            for part in parts:
                index.tasks[part.id] = part
    index.main_ids = frozenset(
        task.id for branch in (flow.tasks, flow.errors or [], flow.finally_ or []) for task in branch
    )
    index.after_execution_ids = frozenset(task.id for task in flow.after_execution or [])
    return index


_CACHE: OrderedDict[int, FlowIndex] = OrderedDict()
_CACHE_SIZE = 512


def flow_index(flow: Flow) -> FlowIndex:
    """The index of ``flow`` (cached by identity: callers cache parsed flows per revision)."""
    key = id(flow)
    index = _CACHE.get(key)
    if index is not None and index.flow is flow:
        _CACHE.move_to_end(key)
        return index
    index = _build(flow)
    _CACHE[key] = index
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return index
