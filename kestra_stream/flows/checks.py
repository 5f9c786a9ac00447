"""Flow-level constraints, beyond what each model checks on its own (kestra-features.md §1.1)."""

from __future__ import annotations

from collections.abc import Iterator

from kestra_stream.flows._yaml import Path
from kestra_stream.flows.model import Flow
from kestra_stream.flows.walk import all_tasks, all_triggers
from kestra_stream.models.durations import is_expression
from kestra_stream.plugins.flow.subflows import ForEachItem, Subflow

Problem = tuple[Path, str]


def check_flow(flow: Flow) -> list[Problem]:
    """Every flow-level problem, as ``(path, message)``, in document order."""
    return [
        *_unique_task_ids(flow),
        *_unique_trigger_ids(flow),
        *_inputs(flow),
        *_unique_output_ids(flow),
        *_recursive_calls(flow),
    ]


def _duplicates(items: Iterator[tuple[Path, str]], message: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for path, identifier in items:
        if identifier in seen:
            yield (*path, "id"), message.format(identifier)
        seen.add(identifier)


def _unique_task_ids(flow: Flow) -> Iterator[Problem]:
    ids = ((located.path, located.plugin.id) for located in all_tasks(flow))
    return _duplicates(ids, "Duplicate task id with name [{}]")


def _unique_trigger_ids(flow: Flow) -> Iterator[Problem]:
    ids = ((located.path, located.plugin.id) for located in all_triggers(flow))
    return _duplicates(ids, "Duplicate trigger id with name [{}]")


def _unique_output_ids(flow: Flow) -> Iterator[Problem]:
    ids = ((("outputs", index), output.id) for index, output in enumerate(flow.outputs or ()))
    return _duplicates(ids, "Duplicate output with name [{}]")


def _inputs(flow: Flow) -> Iterator[Problem]:
    inputs = flow.inputs or []
    yield from _duplicates(
        ((("inputs", index), item.id) for index, item in enumerate(inputs)), "Duplicate input with name [{}]"
    )
    known = {item.id for item in inputs}
    graph: dict[str, list[str]] = {}
    for index, item in enumerate(inputs):
        dependencies = item.depends_on.inputs if item.depends_on else []
        for position, dependency in enumerate(dependencies):
            if dependency not in known:
                path: Path = ("inputs", index, "dependsOn", "inputs", position)
                yield path, f"Input `{item.id}` depends on an unknown input `{dependency}`"
        graph[item.id] = [dependency for dependency in dependencies if dependency in known]
    cycle = _find_cycle(graph)
    if cycle:
        index = next(index for index, item in enumerate(inputs) if item.id == cycle[0])
        yield ("inputs", index, "dependsOn"), f"Cyclic dependency between inputs: {' -> '.join(cycle)}"


def _find_cycle(graph: dict[str, list[str]]) -> list[str]:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str]:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return []
        visiting.append(node)
        for dependency in graph.get(node, ()):
            cycle = visit(dependency)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return []

    for node in graph:
        cycle = visit(node)
        if cycle:
            return cycle
    return []


def _recursive_calls(flow: Flow) -> Iterator[Problem]:
    for located in all_tasks(flow):
        task = located.plugin
        if isinstance(task, Subflow):
            target = (task.namespace, task.flow_id)
        elif isinstance(task, ForEachItem):
            target = (task.target_namespace, task.target_flow_id)
        else:
            continue
        if not any(is_expression(part) for part in target) and target == (flow.namespace, flow.id):
            yield located.path, f"Recursive call to flow [{flow.namespace}.{flow.id}]"
