"""``Loop``: one iteration group per item, ``breakWhen``, ``transmitFailed`` and declared outputs.

Rules: ``start_loop`` (values rendered once into items), ``loop_container`` (the iterations still to
run, cut after the first iteration whose ``breakWhen`` is truthy), ``conclude_loop`` (the Loop's
outputs and final state once every started iteration has ended).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from kestra_stream.executor.core._attempts import final_task_run_state
from kestra_stream.executor.core._containers import Container, Group, enabled, worst_state
from kestra_stream.executor.core._context import build_context
from kestra_stream.executor.core._loop_scope import LOOP_ITEMS
from kestra_stream.executor.core._rendering import iteration_key, render_declared_outputs
from kestra_stream.executor.core._working import Working
from kestra_stream.expressions import ExpressionEngine
from kestra_stream.ion import loads as ion_loads
from kestra_stream.models.execution import TaskRun
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.plugins.flow import Loop

LOOP_BREAK = "loopBreak"
"""extra: Loop task run id -> ``{"checked": [iteration indexes], "at": index or None}``."""

_STORAGE_SCHEMES = ("kestra://", "nsfile://", "file://")


def loop_items(engine: ExpressionEngine, values: Any, context: dict[str, Any]) -> list[dict[str, Any]]:
    """``values``: a list (items coalesced to strings), a map (``item.key``), or a JSON array text."""
    rendered = engine.render_typed(values, context)
    if isinstance(rendered, str):
        text = rendered.strip()
        if text.startswith(_STORAGE_SCHEMES):
            return _file_items(engine, text, context)
        try:
            rendered = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"Unable to parse values as a JSON array: {error}") from None
    if isinstance(rendered, dict):
        return [{"key": str(key), "value": iteration_key(value)} for key, value in rendered.items()]
    if isinstance(rendered, list | tuple):
        if any(value is None for value in rendered):
            raise ValueError("`values` cannot contain null values")
        return [{"value": iteration_key(value)} for value in rendered]
    raise ValueError(f"`values` must be a list or a map, got {type(rendered).__name__}")


def _file_items(engine: ExpressionEngine, uri: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """An Ion file: one iteration per line (each value coalesced to a string). Read through the
    engine's ``read()`` service, as the executor's other renderings reach storage."""
    content = engine.render("{{ read(__loopValuesUri) }}", {**context, "__loopValuesUri": uri})
    items = []
    for line in content.splitlines():
        if line.strip():
            value = ion_loads(line)
            items.append({"value": iteration_key(value)})
    return items


def start_loop(working: Working, run: TaskRun, task: Loop) -> TaskRun:
    items = loop_items(working.settings.engine, task.values, build_context(working, task=task, run=run))
    stored = dict(working.extra.get(LOOP_ITEMS, {}))
    stored[run.id] = items
    working.set_extra(LOOP_ITEMS, stored)
    return working.set_run_outputs(run, {"iterationCount": len(items)})


def _iteration_runs(working: Working, run: TaskRun) -> dict[int, list[TaskRun]]:
    by_iteration: dict[int, list[TaskRun]] = {}
    for child in working.children_of(run.id):
        if child.iteration is not None:
            by_iteration.setdefault(child.iteration, []).append(child)
    return by_iteration


def _iteration_state(task: Loop, runs: list[TaskRun]) -> StateType | None:
    """The ended iteration's state, None while it runs or has tasks left to start."""
    if not runs or any(not child.state.current.is_terminated() for child in runs):
        return None
    states = [child.state.current for child in runs]
    stopped = any(state in (StateType.FAILED, StateType.KILLED, StateType.CANCELLED) for state in states)
    if not stopped and len({child.task_id for child in runs}) < len(enabled(task.tasks)):
        return None
    return worst_state(states)


def _iteration_outputs(working: Working, task: Loop, root: TaskRun) -> dict[str, Any]:
    if not task.outputs:
        return {}
    child_task = working.task_of(root)
    context = build_context(working, task=child_task, run=root)
    return render_declared_outputs(working.settings.engine, task.outputs, context)


def _break_at(working: Working, run: TaskRun, task: Loop) -> int | None:
    """The first ended iteration whose ``breakWhen`` is truthy (each iteration evaluated once)."""
    if task.break_when is None:
        return None
    checks: dict[str, Any] = dict(working.extra.get(LOOP_BREAK, {}))
    entry = dict(checks.get(run.id) or {"checked": [], "at": None})
    if entry["at"] is not None:
        return int(entry["at"])
    checked = set(entry["checked"])
    for index, runs in sorted(_iteration_runs(working, run).items()):
        if index in checked:
            continue
        state = _iteration_state(task, runs)
        if state is None:
            continue
        checked.add(index)
        root = min(runs, key=lambda child: child.state.start_date)
        context = build_context(working, task=working.task_of(root), run=root)
        context["iteration"] = {
            "executionId": working.execution_id,
            "state": state.value,
            "outputs": _iteration_outputs(working, task, root),
        }
        if ExpressionEngine.is_truthy(working.settings.engine.render(task.break_when, context).strip()):
            entry["at"] = index
            break
    entry["checked"] = sorted(checked)
    checks[run.id] = entry
    working.set_extra(LOOP_BREAK, checks)
    return int(entry["at"]) if entry["at"] is not None else None


def loop_container(working: Working, run: TaskRun, task: Loop, common: dict[str, Any]) -> Container:
    items: list[dict[str, Any]] = working.extra.get(LOOP_ITEMS, {}).get(run.id, [])
    tasks = enabled(task.tasks)
    groups = [Group(tasks=tasks, value=item["value"], iteration=index) for index, item in enumerate(items)]
    broken = _break_at(working, run, task)
    if broken is not None:
        started = set(_iteration_runs(working, run))
        groups = [group for group in groups if group.iteration in started]
    return Container(
        groups=groups,
        group_limit=task.concurrency_limit,
        independent_groups=not task.transmit_failed,
        **common,
    )


def conclude_loop(working: Working, run: TaskRun, task: Loop, final: StateType, *, halted: bool) -> None:
    """Every started iteration ended: the Loop's outputs, then its state."""
    items: list[dict[str, Any]] = working.extra.get(LOOP_ITEMS, {}).get(run.id, [])
    terminated: Counter[str] = Counter()
    collected: list[dict[str, Any]] = []
    for index, runs in sorted(_iteration_runs(working, run).items()):
        state = worst_state([child.state.current for child in runs])
        terminated[state.value] += 1
        if task.outputs and state in (StateType.SUCCESS, StateType.WARNING):
            root = min(runs, key=lambda child: child.state.start_date)
            item = {
                "value": items[index]["value"] if index < len(items) else root.value,
                "iteration": index + 1,
            }
            if index < len(items) and "key" in items[index]:
                item["key"] = items[index]["key"]
            try:
                collected.append({"item": item, "outputs": _iteration_outputs(working, task, root)})
            except ValueError as error:
                working.log(LogLevel.ERROR, f"Unable to render the outputs of Loop '{task.id}': {error}")
                working.set_run_state(run, final_task_run_state(task, run, StateType.FAILED))
                return
    outputs: dict[str, Any] = {
        "iterationCount": len(items),
        "terminatedIterations": dict(terminated),
    }
    if task.outputs:
        outputs["outputs"] = collected
    working.set_run_outputs(run, outputs)
    if not task.transmit_failed and not halted and final in (StateType.FAILED, StateType.KILLED):
        final = StateType.SUCCESS
    working.set_run_state(run, final)
