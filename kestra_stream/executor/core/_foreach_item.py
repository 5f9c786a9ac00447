"""ForEachItem on the executor side: the ``<id>_items`` child creates one execution per batch.

Rules: ``start_foreach_items`` (render inputs per batch, one ``NewExecution`` each, outputs
``numberOfBatches``/``iterations``), ``apply_foreach_item_ended`` (count each child once, keep its flow
outputs for the merge job, end with the worst child state when ``transmitFailed``),
``merge_job_definition`` (the ``<id>_merge`` job carries the collected outputs). The worker-side jobs are
in ``_foreach_item_jobs``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kestra_stream.executor.core._attempts import conclude_attempt
from kestra_stream.executor.core._containers import worst_state
from kestra_stream.executor.core._context import build_context
from kestra_stream.executor.core._foreach_item_jobs import ITERATION_PLACEHOLDER
from kestra_stream.executor.core._ids import derived_id
from kestra_stream.executor.core._rendering import render_text, render_typed
from kestra_stream.executor.core._types import EmitExecutionMessage
from kestra_stream.executor.core._working import Working
from kestra_stream.executor.messages import NewExecution, SubflowEnded
from kestra_stream.flows.model import Flow
from kestra_stream.inputs import resolve_inputs
from kestra_stream.models.execution import Execution, ExecutionMetadata, ExecutionTrigger, TaskRun
from kestra_stream.models.labels import Label
from kestra_stream.models.state import State, StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.plugins.flow import ForEachItem

ENDED = "foreachItemEnded"
"""items run id → one character per batch: ``.`` running, else the first letter of the child's state."""
OUTPUTS = "foreachItemOutputs"
"""items run id → {batch index: the child's flow outputs} (for the merge job)."""
FINAL = "foreachItemFinal"
"""items run id → ``{"codes": ..., "attempts": [...]}`` once every batch ended (what a restart retries)."""
BATCH_ATTEMPTS = "foreachItemBatchAttempts"
"""items run id → per batch, the items attempt whose child id the batch's execution has (restarts
keep the failed batches' executions, created by an earlier attempt)."""
RESTARTS = "foreachItemRestarts"
"""items run id → True: an execution restart retries only its failed batches (``RETRY_FAILED``)."""

_CODES = {
    StateType.SUCCESS: "S",
    StateType.WARNING: "W",
    StateType.FAILED: "F",
    StateType.KILLED: "K",
    StateType.CANCELLED: "C",
    StateType.SKIPPED: "P",
    StateType.RETRIED: "R",
}
_STATES = {code: state for state, code in _CODES.items()}


def parse_schedule_date(engine: Any, value: str | None, context: dict[str, Any]) -> datetime | None:
    """Subflow/ForEachItem ``scheduleDate``: an ISO date-time (rendered); naive means UTC."""
    if value is None:
        return None
    text = render_text(engine, value, context).strip()
    if not text:
        return None
    date = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return date if date.tzinfo is not None else date.replace(tzinfo=UTC)


def _parent_task(working: Working, run: TaskRun) -> tuple[TaskRun, ForEachItem] | None:
    parent = working.runs.get(run.parent_task_run_id or "")
    task = working.task_of(parent) if parent is not None else None
    return (parent, task) if parent is not None and isinstance(task, ForEachItem) else None


def _sibling(working: Working, parent: TaskRun, task_id: str) -> TaskRun | None:
    return next((child for child in working.children_of(parent.id) if child.task_id == task_id), None)


def _batch_attempt(working: Working, run: TaskRun, iteration: int) -> int:
    attempts: list[int] | None = working.extra.get(BATCH_ATTEMPTS, {}).get(run.id)
    if attempts is not None and 0 <= iteration < len(attempts):
        return attempts[iteration]
    return len(run.attempts or ())


def mark_foreach_item_restart(working: Working, run: TaskRun) -> None:
    """An execution restart: with ``restartBehavior: RETRY_FAILED`` (the default) the items run
    restarts only its failed/killed batches' executions (while their executor holds them)."""
    from kestra_stream.plugins.flow import RestartBehavior

    found = _parent_task(working, run)
    final = working.extra.get(FINAL, {}).get(run.id)
    if found is None or found[1].restart_behavior is not RestartBehavior.RETRY_FAILED or not final:
        return
    if not any(code in "FK" for code in final["codes"]):
        return
    ended = run.attempts[-1].state.end_date if run.attempts else None
    if ended is None or working.now - ended >= working.settings.purge_after * 0.9:
        working.log(
            LogLevel.WARN,
            "ForEachItem batches ended too long ago to be restarted: new executions are created",
            run=run,
        )
        return
    working.set_extra(RESTARTS, {**working.extra.get(RESTARTS, {}), run.id: True})


def _restart_failed_batches(working: Working, run: TaskRun) -> TaskRun:
    from kestra_stream.executor.messages import RestartExecution

    final = working.extra[FINAL][run.id]
    restarts = {key: value for key, value in working.extra.get(RESTARTS, {}).items() if key != run.id}
    working.set_extra(RESTARTS, restarts or None)
    codes: str = final["codes"]
    attempts: list[int] = list(final["attempts"])
    run = working.add_attempt(run, StateType.RUNNING)
    restarted = 0
    for iteration, code in enumerate(codes):
        if code in "FK":
            child_id = derived_id(run.id, "foreachitem", attempts[iteration], iteration)
            working.emit(EmitExecutionMessage(message=RestartExecution(execution_id=child_id)))
            codes = codes[:iteration] + "." + codes[iteration + 1 :]
            restarted += 1
    working.set_extra(BATCH_ATTEMPTS, {**working.extra.get(BATCH_ATTEMPTS, {}), run.id: attempts})
    working.set_extra(ENDED, {**working.extra.get(ENDED, {}), run.id: codes})
    working.log(LogLevel.INFO, f"Restarted {restarted} failed batch execution(s)", run=run)
    run = working.set_run_outputs(run, {**(run.outputs or {}), "iterations": _iterations(codes)})
    return working.set_run_state(run, StateType.RUNNING)


def _iterations(codes: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for code in codes:
        state = _STATES.get(code)
        key = state.value if state is not None else StateType.RUNNING.value
        counts[key] = counts.get(key, 0) + 1
    return counts


def start_foreach_items(working: Working, run: TaskRun, flow_for: Any) -> TaskRun:
    """``<id>_items``: one child execution per batch written by ``<id>_split``."""
    from kestra_stream.executor.core._flowables import child_labels, fail_run

    found = _parent_task(working, run)
    if found is None:
        return fail_run(working, run, f"Task run '{run.task_id}' is not the child of a ForEachItem")
    if run.state.current is StateType.RESTARTED and working.extra.get(RESTARTS, {}).get(run.id):
        return _restart_failed_batches(working, run)
    parent, task = found
    split = _sibling(working, parent, f"{task.id}_split")
    split_outputs = (split.outputs or {}) if split is not None else {}
    count = int(split_outputs.get("numberOfBatches", 0))
    template = str(split_outputs.get("batchUriTemplate", ""))
    engine = working.settings.engine
    context = build_context(working, task=task, run=run)
    namespace_raw = task.subflow.namespace if task.subflow is not None else task.namespace
    flow_id_raw = task.subflow.flow_id if task.subflow is not None else task.flow_id
    try:
        namespace = render_text(engine, namespace_raw, context)
        flow_id = render_text(engine, flow_id_raw, context)
        schedule_date = parse_schedule_date(engine, task.schedule_date, context)
    except Exception as error:
        return fail_run(working, run, f"Unable to render the subflow namespace, id or scheduleDate: {error}")
    child_flow: Flow | None = flow_for(namespace, flow_id, task.revision)
    if child_flow is None or child_flow.deleted:
        revision = task.revision if task.revision is not None else "latest"
        return fail_run(
            working, run, f"Unable to find flow '{namespace}'.'{flow_id}' with revision {revision}"
        )
    if child_flow.disabled:
        return fail_run(working, run, "Cannot execute a flow which is disabled")
    inherit = task.subflow.inherit_labels if task.subflow is not None else task.inherit_labels
    wait = task.subflow.wait if task.subflow is not None else task.wait
    raw_inputs = (task.subflow.inputs if task.subflow is not None else task.inputs) or {}
    raw_labels = task.subflow.labels if task.subflow is not None else task.labels
    try:
        labels = child_labels(working, inherit, raw_labels, child_flow, context)
    except ValueError as error:
        return fail_run(working, run, str(error))
    run = working.add_attempt(run, StateType.RUNNING)
    attempt = len(run.attempts or ())
    children: list[Execution] = []
    for iteration in range(count):
        batch = run.model_copy(
            update={"items": template.replace(ITERATION_PLACEHOLDER, str(iteration)), "iteration": iteration}
        )
        try:
            provided = render_typed(engine, raw_inputs, build_context(working, task=task, run=batch))
            inputs = resolve_inputs(
                child_flow.inputs or [],
                provided,
                render=lambda value, variables: engine.render_typed(value, variables),
                variables={"flow": {"id": child_flow.id, "namespace": child_flow.namespace}},
            )
        except Exception as error:
            return fail_run(working, run, f"Invalid subflow inputs for batch {iteration}: {error}")
        child_id = derived_id(run.id, "foreachitem", attempt, iteration)
        children.append(
            Execution(
                id=child_id,
                tenant_id=working.base.tenant_id,
                namespace=child_flow.namespace,
                flow_id=child_flow.id,
                flow_revision=child_flow.revision or 1,
                inputs=inputs or None,
                labels=tuple(Label(key=key, value=value) for key, value in labels.items()),
                state=State.of(StateType.CREATED, at=working.now),
                parent_id=working.execution_id,
                original_id=child_id,
                schedule_date=schedule_date,
                trigger=ExecutionTrigger(
                    id=task.id,
                    type=task.type,
                    variables={
                        "executionId": working.execution_id,
                        "namespace": working.base.namespace,
                        "flowId": working.base.flow_id,
                        "flowRevision": working.flow_revision,
                        "taskRunId": run.id,
                        "taskRunIteration": iteration,
                        "wait": wait,
                    },
                ),
                metadata=ExecutionMetadata(attempt_number=1, original_created_date=working.now),
                kind=working.base.kind,
            )
        )
    for child in children:
        working.emit(EmitExecutionMessage(message=NewExecution(execution=child)))
    working.log(LogLevel.INFO, f"Created {count} execution(s) of '{namespace}'.'{flow_id}'", run=run)
    codes = "." * count
    run = working.set_run_outputs(run, {"numberOfBatches": count, "iterations": _iterations(codes)})
    if not wait or count == 0:
        run = working.set_attempt_state(run, StateType.SUCCESS)
        return working.set_run_state(run, StateType.SUCCESS)
    working.set_extra(ENDED, {**working.extra.get(ENDED, {}), run.id: codes})
    working.set_extra(BATCH_ATTEMPTS, {**working.extra.get(BATCH_ATTEMPTS, {}), run.id: [attempt] * count})
    return working.set_run_state(run, StateType.RUNNING)


def apply_foreach_item_ended(working: Working, run: TaskRun, message: SubflowEnded) -> bool:
    """A batch's child ended: count it once; when every batch ended, the items run ends."""
    ended: dict[str, str] = working.extra.get(ENDED, {})
    codes = ended.get(run.id)
    iteration = message.iteration
    if codes is None or iteration is None or not 0 <= iteration < len(codes) or codes[iteration] != ".":
        return False
    expected = derived_id(run.id, "foreachitem", _batch_attempt(working, run, iteration), iteration)
    if expected not in (message.child_execution_id, message.original_execution_id):
        return False
    if message.state is StateType.RETRIED:
        return False  # the retry (same originalId) will answer
    codes = codes[:iteration] + _CODES.get(message.state, "F") + codes[iteration + 1 :]
    working.set_extra(ENDED, {**ended, run.id: codes})
    if message.outputs:
        stored = dict(working.extra.get(OUTPUTS, {}))
        stored[run.id] = {**stored.get(run.id, {}), str(iteration): message.outputs}
        working.set_extra(OUTPUTS, stored)
    run = working.set_run_outputs(run, {**(run.outputs or {}), "iterations": _iterations(codes)})
    if "." in codes:
        return True
    found = _parent_task(working, run)
    transmit = True
    if found is not None:
        task = found[1]
        transmit = task.subflow.transmit_failed if task.subflow is not None else task.transmit_failed
    final = worst_state([_STATES[code] for code in codes]) if transmit else StateType.SUCCESS
    remaining = {key: value for key, value in ended.items() if key != run.id}
    working.set_extra(ENDED, remaining or None)
    batch_attempts = [_batch_attempt(working, run, index) for index in range(len(codes))]
    working.set_extra(
        FINAL, {**working.extra.get(FINAL, {}), run.id: {"codes": codes, "attempts": batch_attempts}}
    )
    conclude_attempt(working, run, final)
    return True


def merge_job_definition(working: Working, run: TaskRun, definition: dict[str, Any]) -> dict[str, Any]:
    """``<id>_merge``: the job's task carries every batch's child outputs, in batch order."""
    found = _parent_task(working, run)
    if found is None:
        return definition
    parent, task = found
    items = _sibling(working, parent, f"{task.id}_items")
    if items is None:
        return definition
    count = int((items.outputs or {}).get("numberOfBatches", 0))
    collected: dict[str, Any] = working.extra.get(OUTPUTS, {}).get(items.id, {})
    return {**definition, "subflowOutputs": [collected.get(str(index), {}) for index in range(count)]}


def pending_children(working: Working, run: TaskRun) -> list[str]:
    """Child executions still running: a Subflow's one, or a ForEachItem items run's unfinished batches."""
    codes = working.extra.get(ENDED, {}).get(run.id)
    if codes is None:
        child_id = (run.outputs or {}).get("executionId")
        return [str(child_id)] if child_id else []
    return [
        derived_id(run.id, "foreachitem", _batch_attempt(working, run, index), index)
        for index, code in enumerate(codes)
        if code == "."
    ]
