"""The expression context of a task run (kestra-features §8.2), built in one place.

Worker jobs carry it as their run-context variables, and the executor renders its own expressions
(If conditions, runIf, ForEach values, Switch values, flow outputs, subflow inputs) with it, so both
sides see exactly the same variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestra_stream.executor.core._loop_scope import item_variables, iteration_overlay, iteration_roots
from kestra_stream.executor.core._working import ERROR_LOGS, Working
from kestra_stream.expressions.services import ERROR_LOGS_VARIABLE
from kestra_stream.flows.model import Flow
from kestra_stream.models.dates import format_instant
from kestra_stream.models.execution import TaskRun
from kestra_stream.models.labels import Label
from kestra_stream.models.state import StateType
from kestra_stream.plugins.base import Task


def labels_context(labels: tuple[Label, ...] | None) -> dict[str, Any]:
    """``{{ labels.x }}`` (first wins on duplicates); ``system.*`` ones under ``labels.system``."""
    result: dict[str, Any] = {}
    for label in labels or ():
        if label.key.startswith("system."):
            system = result.setdefault("system", {})
            if isinstance(system, dict):
                system.setdefault(label.key[len("system.") :], label.value)
        result.setdefault(label.key, label.value)
    return result


def flow_variables(flow: Flow | None, execution_variables: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{{ vars }}``: the flow's ``variables`` as changed by SetVariables/UnsetVariables."""
    if execution_variables is not None:
        return dict(execution_variables)
    return dict(flow.variables or {}) if flow is not None else {}


def _task_run_variables(run: TaskRun) -> dict[str, Any]:
    variables: dict[str, Any] = {
        "id": run.id,
        "startDate": format_instant(run.state.start_date),
        "attemptsCount": run.attempts_count,
    }
    if run.parent_task_run_id is not None:
        variables["parentId"] = run.parent_task_run_id
    if run.value is not None:
        variables["value"] = run.value
    if run.iteration is not None:
        variables["iteration"] = run.iteration
    if run.items is not None:
        variables["items"] = run.items
    return variables


def build_context(
    working: Working,
    *,
    task: Task | None = None,
    run: TaskRun | None = None,
    execution_state: StateType | None = None,
) -> dict[str, Any]:
    """Every variable a task run sees; ``task``/``run`` omitted for execution-level rendering."""
    base = working.base
    flow = working.index.flow if working.index is not None else None
    flow_variables_ = {"id": base.flow_id, "namespace": base.namespace, "revision": working.flow_revision}
    if base.tenant_id is not None:
        flow_variables_["tenantId"] = base.tenant_id
    context: dict[str, Any] = {
        "flow": flow_variables_,
        "execution": {
            "id": base.id,
            "startDate": format_instant(working.state.start_date),
            "originalId": base.original_id or base.id,
            "state": (execution_state or working.current).value,
        },
        "inputs": working.inputs or {},
        "outputs": working.outputs_map(),
        "tasks": working.tasks_map(),
        "vars": flow_variables(flow, working.variables),
        "labels": labels_context(working.labels),
        "trigger": (base.trigger.variables or {}) if base.trigger is not None else {},
        "envs": dict(working.settings.envs),
        "globals": dict(working.settings.globals),
    }
    if working.settings.kestra:
        context["kestra"] = dict(working.settings.kestra)
    error_logs = working.extra.get(ERROR_LOGS)
    if error_logs:  # only once something failed: errorLogs() in the worker (kestra-features §8.7)
        context[ERROR_LOGS_VARIABLE] = error_logs
    if task is not None:
        context["task"] = {"id": task.id, "type": task.type}
    if run is not None:
        context["taskrun"] = _task_run_variables(run)
        parents = [
            {"taskrun": _task_run_variables(parent), "outputs": parent.outputs or {}}
            for parent in working.parents_of(run)
        ]
        if parents:
            context["parent"] = parents[0]
            context["parents"] = parents
        scopes = iteration_roots(working, run)
        if scopes:
            context["item"] = item_variables(working, scopes)
            context["outputs"] = {**context["outputs"], **iteration_overlay(working, scopes, _outputs_of)}
            context["tasks"] = {**context["tasks"], **iteration_overlay(working, scopes, _state_of)}
    return context


def _outputs_of(run: TaskRun) -> dict[str, Any] | None:
    return run.outputs


def _state_of(run: TaskRun) -> dict[str, Any]:
    return {"state": run.state.current.value}
