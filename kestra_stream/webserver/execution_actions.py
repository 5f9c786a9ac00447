"""Commands on executions: kill, restart, replay, pause, resume, unqueue, task run state — one
message each on ``executions`` for the executor that owns the execution — and the edits Kestra saves
straight to the repository (labels and status of terminated executions). Bulk variants by ids and
by query answer ``BulkResponse{count}``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from kestra_stream.executor.messages import (
    ChangeTaskRunState,
    ExecutionMessage,
    KillExecution,
    PauseExecution,
    RestartExecution,
    ResumeExecution,
    Unqueue,
)
from kestra_stream.inputs import Input, resolve_inputs
from kestra_stream.models.execution import Execution
from kestra_stream.models.labels import Label
from kestra_stream.models.state import StateType
from kestra_stream.repository import Page, Resource, SearchRequest, execution_upsert, parse_search
from kestra_stream.webserver import execution_inputs as inputs
from kestra_stream.webserver.errors import ApiError, conflict, invalid
from kestra_stream.webserver.executions import (
    EXECUTION_SCHEMA,
    delete_terminated,
    existing_execution,
    find_execution,
    form_values,
    with_url,
)
from kestra_stream.webserver.http import TENANT, json_body, json_response, query_bool, query_int, services
from kestra_stream.webserver.input_forms import VALIDATION_SCHEMA as VALIDATION
from kestra_stream.webserver.input_forms import input_states, validation_response
from kestra_stream.webserver.routing import ARRAY, OBJECT, multipart_body, q, route
from kestra_stream.webserver.routing import json_body as json_doc
from kestra_stream.webserver.services import WebServices

BULK = {"type": "object", "properties": {"count": {"type": "integer"}}}
IDS = {"type": "array", "items": {"type": "string"}}
LABEL = {"type": "object", "properties": {"key": {"type": "string"}, "value": {"type": "string"}}}


async def send_command(svc: WebServices, message: ExecutionMessage) -> None:
    await svc.send(inputs.EXECUTIONS, key=message.execution_id.encode(), value=message.to_json())


# -- checks: a reason when the action does not apply ----------------------------------------------------


def cannot_kill(execution: Execution) -> str | None:
    if execution.state.current.is_terminated():
        return "Execution is already finished, can't kill it"
    return None


def cannot_restart(execution: Execution) -> str | None:
    if not execution.state.current.is_restartable():
        current = execution.state.current
        return f"Execution must be failed, killed or paused to be restarted, current state is {current}"
    return None


def cannot_pause(execution: Execution) -> str | None:
    if execution.state.current is not StateType.RUNNING:
        return f"Execution must be running to be paused, current state is {execution.state.current}"
    return None


def cannot_resume(execution: Execution) -> str | None:
    if execution.state.current is not StateType.PAUSED:
        return f"Execution must be paused to be resumed, current state is {execution.state.current}"
    return None


def cannot_delete(execution: Execution) -> str | None:
    if not execution.state.current.is_terminated():
        return "Execution is not terminated: kill it before deleting it"
    return None


def _checked(execution: Execution, check: Callable[[Execution], str | None]) -> Execution:
    reason = check(execution)
    if reason is not None:
        raise conflict(reason)
    return execution


# -- single execution ---------------------------------------------------------------------------------


async def kill(request: web.Request) -> web.Response:
    execution = _checked(await existing_execution(request), cannot_kill)
    cascade = query_bool(request, "isOnKillCascade", True)
    await send_command(services(request), KillExecution(execution_id=execution.id, cascade=cascade))
    return web.Response(status=202)


async def restart(request: web.Request) -> web.Response:
    svc = services(request)
    execution = _checked(await existing_execution(request), cannot_restart)
    revision = query_int(request, "revision")
    await send_command(
        svc, RestartExecution(execution_id=execution.id, revision=revision, execution=execution)
    )
    return json_response(execution.with_state(StateType.RESTARTED).to_json_dict())


def replayed(execution: Execution, task_run_id: str | None, revision: int | None) -> Execution:
    """A new execution: same flow, inputs and labels; with ``task_run_id``, the task runs before that
    one are kept (outputs included) so the executor resumes from it."""
    new_id = inputs.generate_id()
    runs = []
    if task_run_id is not None:
        found = False
        for run in execution.task_runs():
            if run.id == task_run_id:
                found = True
                break
            runs.append(run.model_copy(update={"execution_id": new_id}))
        if not found:
            raise invalid(f"Task run '{task_run_id}' not found in execution '{execution.id}'")
    labels = [label for label in execution.labels or () if label.key != "system.correlationId"]
    labels = [label for label in labels if label.key != "system.replay"] + [
        Label(key="system.replay", value="true")
    ]
    base = Execution(
        id=new_id,
        tenant_id=execution.tenant_id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        flow_revision=revision or execution.flow_revision,
        inputs=execution.inputs,
        labels=tuple(labels),
        trigger=execution.trigger,
        original_id=execution.original_id or execution.id,
        kind=execution.kind,
    )
    return base.model_copy(update={"task_run_list": tuple(runs) or None})


async def replay(request: web.Request) -> web.Response:
    svc = services(request)
    execution = await existing_execution(request)
    new = replayed(execution, request.query.get("taskRunId") or None, query_int(request, "revision"))
    await inputs.submit(svc, new)
    return json_response(with_url(svc, new))


async def pause(request: web.Request) -> web.Response:
    execution = _checked(await existing_execution(request), cannot_pause)
    await send_command(services(request), PauseExecution(execution_id=execution.id))
    return web.Response(status=204)


async def _validated_resume_inputs(
    svc: WebServices, execution: Execution, provided: dict[str, Any]
) -> dict[str, Any]:
    """The Pause task's ``onResume`` inputs checked here, so a bad value is a 422, not a failed execution."""
    stored = svc.flows.get(execution.namespace, execution.flow_id, allow_deleted=True)
    flow = svc.flows.parsed(stored) if stored is not None else None
    paused = [run for run in execution.task_runs() if run.state.current is StateType.PAUSED]
    if flow is None or not paused:
        return provided
    from kestra_stream.flows import all_tasks

    tasks = {located.plugin.id: located.plugin for located in all_tasks(flow)}
    for run in paused:
        on_resume = getattr(tasks.get(run.task_id), "on_resume", None)
        if isinstance(on_resume, list) and on_resume:
            resolve_inputs(
                on_resume,
                provided,
                render=lambda value, variables: svc.engine.render_typed(value, variables),
                variables=_resume_variables(execution),
            )
    return provided


def _resume_variables(execution: Execution) -> dict[str, Any]:
    return {
        "flow": {"id": execution.flow_id, "namespace": execution.namespace},
        "execution": {"id": execution.id},
    }


def _on_resume_inputs(svc: WebServices, execution: Execution) -> list[Input]:
    """The ``onResume`` inputs of the execution's paused Pause task (the first one that has some)."""
    stored = svc.flows.get(execution.namespace, execution.flow_id, allow_deleted=True)
    flow = svc.flows.parsed(stored) if stored is not None else None
    if flow is None:
        return []
    from kestra_stream.flows import all_tasks

    tasks = {located.plugin.id: located.plugin for located in all_tasks(flow)}
    for run in execution.task_runs():
        if run.state.current is StateType.PAUSED:
            on_resume = getattr(tasks.get(run.task_id), "on_resume", None)
            if isinstance(on_resume, list) and on_resume:
                return on_resume
    return []


async def resume_validate(request: web.Request) -> web.Response:
    """Kestra's ``validateResumeExecutionInputs``: the Pause task's ``onResume`` inputs checked as the
    run form's are (``input_forms.py``); the execution is not resumed. 409 when it is not paused."""
    svc = services(request)
    execution = _checked(await existing_execution(request), cannot_resume)
    states = input_states(
        _on_resume_inputs(svc, execution),
        form_values(await inputs.read_form(request)),
        render=lambda value, variables: svc.engine.render_typed(value, variables),
        variables=_resume_variables(execution),
    )
    return json_response(validation_response(execution.flow_id, execution.namespace, states))


async def resume(request: web.Request) -> web.Response:
    svc = services(request)
    execution = _checked(await existing_execution(request), cannot_resume)
    provided = {
        k: v for k, v in (await inputs.read_form(request)).items() if not isinstance(v, inputs.UploadedFile)
    }
    await _validated_resume_inputs(svc, execution, provided)
    await send_command(svc, ResumeExecution(execution_id=execution.id, inputs=provided or None))
    return web.Response(status=204)


async def unqueue(request: web.Request) -> web.Response:
    execution = await existing_execution(request)
    if execution.state.current is not StateType.QUEUED:
        raise conflict(f"Execution must be queued to be unqueued, current state is {execution.state.current}")
    state = _state(request.query.get("state") or "RUNNING")
    await send_command(services(request), Unqueue(execution_id=execution.id, state=state))
    return json_response(execution.to_json_dict())


def _state(value: str) -> StateType:
    try:
        return StateType(value.upper())
    except ValueError:
        raise invalid(f"Invalid state `{value}`") from None


async def change_task_run_state(request: web.Request) -> web.Response:
    execution = await existing_execution(request)
    body = await json_body(request)
    if not isinstance(body, dict) or not body.get("taskRunId") or not body.get("state"):
        raise invalid("expected {taskRunId, state}")
    task_run_id = str(body["taskRunId"])
    if execution.find_task_run(task_run_id) is None:
        raise invalid(f"Task run '{task_run_id}' not found in execution '{execution.id}'")
    state = _state(str(body["state"]))
    await send_command(
        services(request), ChangeTaskRunState(execution_id=execution.id, task_run_id=task_run_id, state=state)
    )
    return json_response(execution.to_json_dict())


async def _save_terminated(svc: WebServices, execution: Execution) -> None:
    """Kestra saves these edits straight to the repository: the executor no longer owns the execution."""
    await svc.repository.writer.bulk([execution_upsert(execution, version=None)])
    svc.executions.remember(execution)


async def change_status(request: web.Request) -> web.Response:
    svc = services(request)
    execution = await existing_execution(request)
    status = _state(request.query.get("status") or "")
    if not execution.state.current.is_terminated():
        raise conflict("Only a terminated execution can have its status changed")
    if not status.is_terminated():
        raise invalid(f"The new status must be terminal, got {status}")
    updated = execution.with_state(status)
    await _save_terminated(svc, updated)
    return json_response(updated.to_json_dict())


def _parse_labels(body: Any) -> list[Label]:
    if not isinstance(body, list) or not all(isinstance(item, dict) and item.get("key") for item in body):
        raise invalid("expected a list of {key, value}")
    return [Label(key=str(item["key"]), value=str(item.get("value") or "")) for item in body]


def _labels_from(body: Any) -> list[Label]:
    labels = _parse_labels(body)
    system = [label.key for label in labels if label.key.startswith("system.")]
    if system:
        raise invalid(f"System labels cannot be set: {', '.join(system)}")
    return labels


async def set_labels(request: web.Request) -> web.Response:
    svc = services(request)
    execution = await existing_execution(request)
    if not execution.state.current.is_terminated():
        raise ApiError(400, "Labels can only be set on terminated executions")
    labels = _labels_from(await json_body(request))
    kept = [label for label in execution.labels or () if label.key.startswith("system.")]
    updated = execution.model_copy(update={"labels": (*kept, *labels)})
    await _save_terminated(svc, updated)
    return json_response(updated.to_json_dict())


# -- bulk --------------------------------------------------------------------------------------------------

Action = Callable[[WebServices, Execution], Awaitable[None]]


async def _kill_action(svc: WebServices, execution: Execution) -> None:
    await send_command(svc, KillExecution(execution_id=execution.id, cascade=False))


async def _restart_action(svc: WebServices, execution: Execution) -> None:
    await send_command(svc, RestartExecution(execution_id=execution.id, execution=execution))


async def _pause_action(svc: WebServices, execution: Execution) -> None:
    await send_command(svc, PauseExecution(execution_id=execution.id))


async def _resume_action(svc: WebServices, execution: Execution) -> None:
    await send_command(svc, ResumeExecution(execution_id=execution.id))


async def _delete_action(svc: WebServices, execution: Execution) -> None:
    await delete_terminated(svc, execution, logs=True, storage=True)


ACTIONS: dict[str, tuple[Action, Callable[[Execution], str | None]]] = {
    "kill": (_kill_action, cannot_kill),
    "restart": (_restart_action, cannot_restart),
    "pause": (_pause_action, cannot_pause),
    "resume": (_resume_action, cannot_resume),
    "delete": (_delete_action, cannot_delete),
}


async def _by_query(svc: WebServices, request: web.Request) -> AsyncIterator[Execution]:
    search = parse_search(request.query, resource=Resource.EXECUTION, tenant=TENANT)
    unpaged = SearchRequest(
        filters=search.filters, sort=search.sort, page=Page(page=1, size=1000), tenant=TENANT
    )
    async for execution in svc.repository.executions.scan(unpaged):
        yield execution


def bulk_by_ids(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    action, check = ACTIONS[name]

    async def handler(request: web.Request) -> web.Response:
        svc = services(request)
        body = await json_body(request)
        if not isinstance(body, list):
            raise invalid("expected a list of execution ids")
        include_running = name == "delete" and query_bool(request, "includeNonTerminated", False)
        found: list[Execution] = []
        invalids: list[dict[str, Any]] = []
        for execution_id in map(str, body):
            execution = await find_execution(svc, execution_id)
            reason = "execution not found" if execution is None else check(execution)
            if include_running and execution is not None:
                reason = None
            if reason is not None or execution is None:
                invalids.append({"key": "execution", "message": reason, "value": execution_id})
            else:
                found.append(execution)
        if invalids:
            return json_response({"message": "invalid bulk operation", "invalids": invalids}, status=400)
        for execution in found:
            await action(svc, execution)
        return json_response({"count": len(found)})

    return handler


def bulk_by_query(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    action, check = ACTIONS[name]

    async def handler(request: web.Request) -> web.Response:
        svc = services(request)
        count = 0
        async for execution in _by_query(svc, request):
            if check(execution) is None:
                await action(svc, execution)
                count += 1
        return json_response({"count": count})

    return handler


# -- bulk replay and labels (Kestra: by-query = the matching ids, then by-ids) ---------------------------


async def _collect(
    svc: WebServices, ids: list[str], check: Callable[[Execution], str | None]
) -> tuple[list[Execution], list[dict[str, Any]]]:
    found: list[Execution] = []
    invalids: list[dict[str, Any]] = []
    for execution_id in ids:
        execution = await find_execution(svc, execution_id)
        reason = "execution not found" if execution is None else check(execution)
        if reason is not None or execution is None:
            invalids.append({"key": "execution", "message": reason, "value": execution_id})
        else:
            found.append(execution)
    return found, invalids


def _invalid_bulk(action: str, invalids: list[dict[str, Any]]) -> web.Response:
    return json_response({"message": f"invalid bulk {action}", "invalids": invalids}, status=400)


async def _query_ids(svc: WebServices, request: web.Request) -> list[str]:
    return [execution.id async for execution in _by_query(svc, request)]


def _ids_from(body: Any) -> list[str]:
    if not isinstance(body, list):
        raise invalid("expected a list of execution ids")
    return [str(item) for item in body]


async def _replay_ids(request: web.Request, ids: list[str]) -> web.Response:
    svc = services(request)
    latest = query_bool(request, "latestRevision", False)
    found, invalids = await _collect(svc, ids, lambda _: None)
    if invalids:
        return _invalid_bulk("replay", invalids)
    for execution in found:
        revision = None
        if latest:
            stored = svc.flows.get(execution.namespace, execution.flow_id)
            revision = stored.revision if stored is not None else None
        await inputs.submit(svc, replayed(execution, None, revision))
    return json_response({"count": len(found)})


async def replay_by_ids(request: web.Request) -> web.Response:
    return await _replay_ids(request, _ids_from(await json_body(request)))


async def replay_by_query(request: web.Request) -> web.Response:
    return await _replay_ids(request, await _query_ids(services(request), request))


def _not_terminated(execution: Execution) -> str | None:
    return None if execution.state.current.is_terminated() else "execution is not terminated"


def merged_labels(execution: Execution, added: list[Label]) -> tuple[Label, ...]:
    """Kestra's bulk label edit: the execution's labels then the new ones (same key: the new value);
    a system label that the execution does not already carry is refused."""
    existing = list(execution.labels or ())
    system = [label for label in existing if label.key.startswith("system.")]
    for label in added:
        if label.key.startswith("system.") and label not in system:
            raise invalid(
                f"System labels can only be set by Kestra itself, offending label: {label.key}={label.value}"
            )
    merged = {label.key: label.value for label in (*existing, *added)}
    return tuple(Label(key=key, value=value) for key, value in merged.items() if key or value)


async def _label_ids(request: web.Request, ids: list[str], labels: list[Label]) -> web.Response:
    svc = services(request)
    found, invalids = await _collect(svc, ids, _not_terminated)
    if invalids:
        return _invalid_bulk("set labels", invalids)
    updated = [
        execution.model_copy(update={"labels": merged_labels(execution, labels)}) for execution in found
    ]
    for execution in updated:
        await _save_terminated(svc, execution)
    return json_response({"count": len(updated)})


async def labels_by_ids(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise invalid("expected {executionsId, executionLabels}")
    return await _label_ids(
        request, _ids_from(body.get("executionsId") or []), _parse_labels(body.get("executionLabels") or [])
    )


async def labels_by_query(request: web.Request) -> web.Response:
    labels = _parse_labels(await json_body(request))
    return await _label_ids(request, await _query_ids(services(request), request), labels)


ONE = "/executions/{executionId}"
FILTERS = (
    q("filters", description="filters[field][OP]=value"),
    q("q"),
    q("namespace"),
    q("flowId"),
    q("state", repeated=True),
)


def _bulk_routes(name: str, method: str, by_ids_path: str, by_query_path: str, summary: str) -> list[Any]:
    return [
        route(
            method,
            by_ids_path,
            bulk_by_ids(name),
            f"{summary} by ids",
            "Executions",
            body=json_doc(IDS),
            response=BULK,
            statuses=(200, 400),
        ),
        route(
            method,
            by_query_path,
            bulk_by_query(name),
            f"{summary} by query",
            "Executions",
            params=FILTERS,
            response=BULK,
            statuses=(200, 422),
        ),
    ]


ROUTES = [
    *_bulk_routes("delete", "DELETE", "/executions/by-ids", "/executions/by-query", "Delete executions"),
    *_bulk_routes(
        "kill", "DELETE", "/executions/kill/by-ids", "/executions/kill/by-query", "Kill executions"
    ),
    *_bulk_routes(
        "restart", "POST", "/executions/restart/by-ids", "/executions/restart/by-query", "Restart executions"
    ),
    *_bulk_routes(
        "pause", "POST", "/executions/pause/by-ids", "/executions/pause/by-query", "Pause executions"
    ),
    *_bulk_routes(
        "resume", "POST", "/executions/resume/by-ids", "/executions/resume/by-query", "Resume executions"
    ),
    route(
        "POST",
        "/executions/replay/by-ids",
        replay_by_ids,
        "Replay executions by ids (new executions)",
        "Executions",
        params=(q("latestRevision", "boolean"),),
        body=json_doc(IDS),
        response=BULK,
        statuses=(200, 400, 422),
    ),
    route(
        "POST",
        "/executions/replay/by-query",
        replay_by_query,
        "Replay executions by query (new executions)",
        "Executions",
        params=(*FILTERS, q("latestRevision", "boolean")),
        response=BULK,
        statuses=(200, 400, 422),
    ),
    route(
        "POST",
        "/executions/labels/by-ids",
        labels_by_ids,
        "Add labels to terminated executions by ids",
        "Executions",
        body=json_doc(
            {
                "type": "object",
                "properties": {
                    "executionsId": IDS,
                    "executionLabels": {"type": "array", "items": LABEL},
                },
            }
        ),
        response=BULK,
        statuses=(200, 400, 422),
    ),
    route(
        "POST",
        "/executions/labels/by-query",
        labels_by_query,
        "Add labels to terminated executions by query",
        "Executions",
        params=FILTERS,
        body=json_doc({"type": "array", "items": LABEL}),
        response=BULK,
        statuses=(200, 400, 422),
    ),
    route(
        "DELETE",
        ONE + "/kill",
        kill,
        "Kill an execution",
        "Executions",
        params=(q("isOnKillCascade", "boolean"),),
        statuses=(202, 404, 409),
    ),
    route(
        "POST",
        ONE + "/restart",
        restart,
        "Restart an execution",
        "Executions",
        params=(q("revision", "integer"),),
        response=EXECUTION_SCHEMA,
        statuses=(200, 404, 409),
    ),
    route(
        "POST",
        ONE + "/replay",
        replay,
        "Replay an execution as a new one",
        "Executions",
        params=(q("taskRunId"), q("revision", "integer"), q("breakpoints")),
        response=EXECUTION_SCHEMA,
        statuses=(200, 404, 422),
    ),
    route("POST", ONE + "/pause", pause, "Pause a running execution", "Executions", statuses=(204, 404, 409)),
    route(
        "POST",
        ONE + "/resume",
        resume,
        "Resume a paused execution",
        "Executions",
        body=multipart_body(),
        statuses=(204, 404, 409, 422),
    ),
    route(
        "POST",
        ONE + "/resume/validate",
        resume_validate,
        "Validate the inputs of a resume (nothing is resumed)",
        "Executions",
        body=multipart_body(),
        response=VALIDATION,
        statuses=(200, 404, 409),
    ),
    route(
        "POST",
        ONE + "/unqueue",
        unqueue,
        "Take a queued execution out of its queue",
        "Executions",
        params=(q("state"),),
        response=EXECUTION_SCHEMA,
        statuses=(200, 404, 409, 422),
    ),
    route(
        "POST",
        ONE + "/state",
        change_task_run_state,
        "Change the state of a task run",
        "Executions",
        body=json_doc(
            {"type": "object", "properties": {"taskRunId": {"type": "string"}, "state": {"type": "string"}}}
        ),
        response=EXECUTION_SCHEMA,
        statuses=(200, 404, 422),
    ),
    route(
        "POST",
        ONE + "/change-status",
        change_status,
        "Change the status of a terminated execution",
        "Executions",
        params=(q("status", required=True),),
        response=EXECUTION_SCHEMA,
        statuses=(200, 404, 409, 422),
    ),
    route(
        "POST",
        ONE + "/labels",
        set_labels,
        "Set the labels of a terminated execution",
        "Executions",
        body=json_doc({"type": "array", "items": {"type": "object"}}),
        response=EXECUTION_SCHEMA,
        statuses=(200, 400, 404, 422),
    ),
]
_ = (ARRAY, OBJECT)
