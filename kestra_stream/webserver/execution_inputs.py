"""Building a new execution from an API call: multipart inputs (files go to internal storage under
the new execution's prefix, as Kestra stores them), labels ``key:value``, ``scheduleDate``, kind."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from kestra_stream.executor.messages import NewExecution
from kestra_stream.flows import Flow
from kestra_stream.inputs import resolve_inputs
from kestra_stream.models.execution import Execution, ExecutionKind, ExecutionTrigger
from kestra_stream.models.ids import new_id
from kestra_stream.models.labels import Label
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.state import State, StateType
from kestra_stream.models.task_options import LogLevel
from kestra_stream.queue import TopicRef
from kestra_stream.storage import input_file
from kestra_stream.webserver.errors import ErrorDetail, invalid
from kestra_stream.webserver.followers import subscribed
from kestra_stream.webserver.http import TENANT, read_multipart
from kestra_stream.webserver.services import WebServices

EXECUTIONS = TopicRef("executions")
LOGS = TopicRef("logs")


# Kestra's older upload form (``curl -F "files=@data.txt;filename=<input id>"``): the part is always
# named ``files`` and its filename names the input. Kestra 1.3.31 still takes it, with this warning.
LEGACY_FILES_PART = "files"
LEGACY_FILES_WARNING = (
    "Using a deprecated way to upload a FILE input. You must set the input 'id' as part name and set "
    "the name of the file using the regular 'filename' part attribute."
)


class UploadedFile:
    def __init__(self, filename: str, data: bytes, *, legacy_part: bool = False) -> None:
        self.filename = filename
        self.data = data
        self.legacy_part = legacy_part


async def read_form(request: web.Request, *, input_ids: Collection[str] = ()) -> dict[str, Any]:
    """Input values of a multipart, url-encoded or JSON body (files kept as :class:`UploadedFile`).

    A file part named ``files`` whose filename is one of ``input_ids`` is that input's value, as in
    Kestra (the legacy form); any other part is the input its name says."""
    content_type = request.content_type
    values: dict[str, Any] = {}
    if content_type.startswith("multipart/"):
        for part in await read_multipart(request):
            if not part.name:
                continue
            if not part.filename:
                values[part.name] = part.text()
            elif part.name == LEGACY_FILES_PART and part.filename in input_ids:
                values[part.filename] = UploadedFile(part.filename, part.data, legacy_part=True)
            else:
                values[part.name] = UploadedFile(part.filename, part.data)
    elif content_type == "application/x-www-form-urlencoded":
        values.update({key: str(value) for key, value in (await request.post()).items()})
    elif content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise invalid(f"Invalid JSON: {error}") from None
            if not isinstance(body, dict):
                raise invalid("inputs must be a JSON object")
            values.update(body)
    return values


def parse_labels(values: Iterable[str]) -> list[Label]:
    labels = []
    for value in values:
        key, sep, text = value.partition(":")
        if not sep or not key:
            raise invalid(
                f"Invalid label `{value}`: expected key:value", [ErrorDetail("key:value", "labels")]
            )
        labels.append(Label(key=key, value=text))
    return labels


def parse_schedule_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"Invalid scheduleDate `{value}`: expected an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        raise invalid(f"Invalid scheduleDate `{value}`: a zone offset is required")
    return parsed


def parse_kind(value: str | None) -> ExecutionKind | None:
    if not value:
        return None
    try:
        return ExecutionKind(value.upper())
    except ValueError:
        raise invalid(f"Invalid kind `{value}`: one of NORMAL, TEST, PLAYGROUND") from None


async def resolve_flow_inputs(
    services: WebServices, flow: Flow, execution_id: str, provided: Mapping[str, Any]
) -> dict[str, Any]:
    """Typed inputs; uploaded files and text given to FILE inputs land in internal storage."""

    def store(input_id: str, filename: str, data: bytes) -> str:
        uri = input_file(
            namespace=flow.namespace,
            flow_id=flow.id,
            execution_id=execution_id,
            input_id=input_id,
            name=filename,
        )
        return services.storage.put("kestra://" + uri, data)

    raw: dict[str, Any] = {}
    for key, value in provided.items():
        if isinstance(value, UploadedFile):
            raw[key] = await asyncio.to_thread(store, key, value.filename, value.data)
        else:
            raw[key] = value

    def store_text(input_id: str, value: Any) -> str:
        data = value if isinstance(value, bytes) else str(value).encode()
        return store(input_id, input_id, data)

    resolved = resolve_inputs(
        flow.inputs or [],
        raw,
        render=lambda value, variables: services.engine.render_typed(value, variables),
        store_file=store_text,
        variables={"flow": {"id": flow.id, "namespace": flow.namespace}},
    )
    if any(isinstance(value, UploadedFile) and value.legacy_part for value in provided.values()):
        await _warn(services, flow, execution_id, LEGACY_FILES_WARNING)
    return resolved


async def _warn(services: WebServices, flow: Flow, execution_id: str, message: str) -> None:
    """A WARN line in the new execution's logs (Kestra logs it with the execution's run context)."""
    entry = LogEntry(
        tenant_id=TENANT,
        namespace=flow.namespace,
        flow_id=flow.id,
        execution_id=execution_id,
        level=LogLevel.WARN,
        thread="webserver",
        message=message,
    )
    await services.send(LOGS, key=None, value=entry.to_json())


def new_execution(
    flow: Flow,
    *,
    execution_id: str,
    inputs: dict[str, Any],
    labels: list[Label],
    schedule_date: datetime | None = None,
    kind: ExecutionKind | None = None,
    trigger: ExecutionTrigger | None = None,
) -> Execution:
    merged = {label.key: label for label in flow.labels or ()}
    merged.update({label.key: label for label in labels})
    return Execution(
        id=execution_id,
        tenant_id=TENANT,
        namespace=flow.namespace,
        flow_id=flow.id,
        flow_revision=flow.revision or 1,
        inputs=inputs or None,
        labels=tuple(merged.values()) or None,
        state=State.of(StateType.CREATED),
        schedule_date=schedule_date,
        kind=kind,
        trigger=trigger,
    )


def generate_id() -> str:
    return new_id()


async def submit(services: WebServices, execution: Execution) -> None:
    services.executions.remember(execution)
    await services.send(
        EXECUTIONS, key=execution.id.encode(), value=NewExecution(execution=execution).to_json()
    )


async def submit_and_wait(services: WebServices, execution: Execution, timeout: float) -> Execution:
    """Submit, then follow execution-states until the execution is terminated (or ``timeout``)."""
    with subscribed(services.executions.subscribe, execution.id) as updates:
        await submit(services, execution)
        latest = execution
        deadline = asyncio.get_running_loop().time() + timeout
        while not latest.state.current.is_terminated():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            update = await updates.next(min(remaining, 1.0))
            latest = update or services.executions.get(execution.id) or latest
        return latest
