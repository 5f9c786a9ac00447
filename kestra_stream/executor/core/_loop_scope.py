"""What a task run inside a ``Loop`` iteration sees: ``item`` and the iteration's own outputs.

Kestra runs each Loop iteration as its own execution, so inside it ``outputs.<task>`` means that
iteration's run of the task, and outside the loop the iterations' outputs are not visible (only the
Loop's declared ``outputs``). kestra-stream keeps the iterations in the parent execution and scopes
the variables here instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kestra_stream.models.execution import TaskRun
from kestra_stream.plugins.flow import Loop

if TYPE_CHECKING:
    from kestra_stream.executor.core._working import Working

LOOP_ITEMS = "loopItems"
"""extra: Loop task run id -> its items, ``[{"value": str, "key"?: str}]`` in iteration order."""


def is_loop(working: Working, run: TaskRun) -> bool:
    return isinstance(working.task_of(run), Loop)


def iteration_roots(working: Working, run: TaskRun) -> list[tuple[TaskRun, TaskRun]]:
    """``(loop run, iteration root run)`` for each Loop enclosing ``run``, innermost first.

    The iteration root is the direct child of the Loop run on the way up (``run`` itself, maybe);
    every direct child with its ``iteration`` belongs to the same iteration.
    """
    scopes: list[tuple[TaskRun, TaskRun]] = []
    below = run
    for parent in working.parents_of(run):
        if is_loop(working, parent):
            scopes.append((parent, below))
        below = parent
    return scopes


def inside_loop(working: Working, run: TaskRun) -> bool:
    return bool(iteration_roots(working, run))


def item_of(working: Working, loop_run: TaskRun, root: TaskRun) -> dict[str, Any]:
    index = root.iteration or 0
    items: list[dict[str, Any]] = working.extra.get(LOOP_ITEMS, {}).get(loop_run.id, [])
    item: dict[str, Any] = dict(items[index]) if index < len(items) else {"value": root.value}
    item["index"] = index
    item["iteration"] = index + 1
    return item


def item_variables(working: Working, scopes: list[tuple[TaskRun, TaskRun]]) -> dict[str, Any]:
    """``{{ item }}``: the innermost iteration's item, with ``parent``/``parents`` for outer loops."""
    items = [item_of(working, loop_run, root) for loop_run, root in scopes]
    item = dict(items[0])
    if len(items) > 1:
        item["parents"] = items[1:]
        item["parent"] = items[1]
    return item


def iteration_overlay(
    working: Working, scopes: list[tuple[TaskRun, TaskRun]], pick: Callable[[TaskRun], Any]
) -> dict[str, Any]:
    """``outputs``/``tasks`` entries of the enclosing iterations' runs, outermost scope first so the
    innermost wins; keyed like ``Working.outputs_map`` but relative to each iteration root."""
    overlay: dict[str, Any] = {}
    for loop_run, root in reversed(scopes):
        pending: list[tuple[TaskRun, list[str]]] = [
            (run, []) for run in working.children_of(loop_run.id) if run.iteration == root.iteration
        ]
        while pending:
            run, keys = pending.pop()
            payload = pick(run)
            if payload is not None:
                node = overlay.setdefault(run.task_id, {}) if keys else None
                if node is None:
                    overlay[run.task_id] = dict(payload)
                else:
                    for key in keys:
                        child = node.get(key)
                        if not isinstance(child, dict):
                            child = node[key] = {}
                        node = child
                    node.update(payload)
            if is_loop(working, run):
                continue  # a nested Loop's iterations are scoped on their own
            for child in working.children_of(run.id):
                pending.append((child, [*keys, child.value] if child.value is not None else keys))
    return overlay
