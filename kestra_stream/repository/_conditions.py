"""Filters compiled to a small condition tree both backends evaluate, so their semantics cannot drift.

Each resource says which document path a filter field reads; :func:`compile_request` adds the implicit
conditions (tenant, not deleted, execution kind) and returns one :class:`All`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Union

from kestra_stream.models.task_options import LogLevel
from kestra_stream.repository.filters import (
    ChildFilter,
    Filter,
    FilterError,
    FilterField,
    Op,
    Resource,
    Scope,
    SearchRequest,
    Sort,
    TriggerState,
)

DEFAULT_TENANT = "main"
Scalar = str | bool | int | float


@dataclass(frozen=True)
class Terms:
    path: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Prefix:
    path: str
    value: str
    case_insensitive: bool


@dataclass(frozen=True)
class Substring:
    path: str
    value: str
    ends_only: bool = False


@dataclass(frozen=True)
class Regexp:
    """Anchored (matches the whole value), as Lucene regular expressions are."""

    path: str
    pattern: str


@dataclass(frozen=True)
class Range:
    path: str
    gt: datetime | float | None = None
    gte: datetime | float | None = None
    lt: datetime | float | None = None
    lte: datetime | float | None = None


@dataclass(frozen=True)
class Exists:
    path: str


@dataclass(frozen=True)
class Text:
    """Every term appears as a word of the (analyzed) text field."""

    path: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Nested:
    path: str
    condition: Condition


@dataclass(frozen=True)
class Not:
    condition: Condition


@dataclass(frozen=True)
class All:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


Condition = Union[Terms, Prefix, Substring, Regexp, Range, Exists, Text, Nested, Not, All, AnyOf]  # noqa: UP007

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> tuple[str, ...]:
    """Lowercased word tokens: close to what the ``standard`` analyzer produces."""
    return tuple(_WORD.findall(text.lower()))


@dataclass(frozen=True, kw_only=True)
class ResourceSpec:
    paths: Mapping[FilterField, str]
    q_keywords: tuple[str, ...]
    q_texts: tuple[str, ...] = ()
    date_paths: frozenset[str] = frozenset()
    time_path: str | None = None
    sortable: frozenset[str] = frozenset()
    default_sort: tuple[Sort, ...] = ()
    tiebreakers: tuple[str, ...] = ()
    soft_deleted: bool = True


F = FilterField
RESOURCES: Mapping[Resource, ResourceSpec] = {
    Resource.EXECUTION: ResourceSpec(
        paths={
            F.NAMESPACE: "namespace",
            F.FLOW_ID: "flowId",
            F.STATE: "state.current",
            F.START_DATE: "state.startDate",
            F.END_DATE: "state.endDate",
            F.TRIGGER_EXECUTION_ID: "triggerExecutionId",
            F.KIND: "kind",
            F.LABELS: "labels",
        },
        q_keywords=("id", "namespace", "flowId"),
        date_paths=frozenset({"state.startDate", "state.endDate", "scheduleDate"}),
        time_path="state.startDate",
        sortable=frozenset(
            {
                "id",
                "namespace",
                "flowId",
                "flowRevision",
                "state.current",
                "state.startDate",
                "state.endDate",
                "state.duration",
            }
        ),
        default_sort=(Sort(field="state.startDate", descending=True),),
        tiebreakers=("id",),
    ),
    Resource.FLOW: ResourceSpec(
        paths={F.NAMESPACE: "namespace", F.FLOW_ID: "id", F.LABELS: "labels"},
        q_keywords=("id", "namespace"),
        q_texts=("description",),
        date_paths=frozenset({"updated"}),
        sortable=frozenset({"id", "namespace", "revision", "updated", "disabled"}),
        default_sort=(Sort(field="namespace"), Sort(field="id")),
        tiebreakers=("namespace", "id"),
    ),
    Resource.LOG: ResourceSpec(
        paths={
            F.NAMESPACE: "namespace",
            F.FLOW_ID: "flowId",
            F.TASK_ID: "taskId",
            F.TASK_RUN_ID: "taskRunId",
            F.EXECUTION_ID: "executionId",
            F.TRIGGER_ID: "triggerId",
            F.LEVEL: "level",
            F.ATTEMPT: "attemptNumber",
            F.START_DATE: "timestamp",
            F.END_DATE: "timestamp",
        },
        q_keywords=("namespace", "flowId", "executionId", "taskId", "triggerId"),
        q_texts=("message",),
        date_paths=frozenset({"timestamp"}),
        time_path="timestamp",
        sortable=frozenset({"timestamp", "level", "namespace", "flowId", "taskId", "executionId"}),
        default_sort=(Sort(field="timestamp"),),
        tiebreakers=("id",),
    ),
    Resource.METRIC: ResourceSpec(
        paths={
            F.NAMESPACE: "namespace",
            F.FLOW_ID: "flowId",
            F.TASK_ID: "taskId",
            F.TASK_RUN_ID: "taskRunId",
            F.EXECUTION_ID: "executionId",
            F.NAME: "name",
            F.START_DATE: "timestamp",
            F.END_DATE: "timestamp",
        },
        q_keywords=("name",),
        date_paths=frozenset({"timestamp"}),
        time_path="timestamp",
        sortable=frozenset({"timestamp", "name", "value", "taskId", "type"}),
        default_sort=(Sort(field="timestamp"),),
        tiebreakers=("id",),
    ),
    Resource.TRIGGER: ResourceSpec(
        paths={
            F.NAMESPACE: "namespace",
            F.FLOW_ID: "flowId",
            F.TRIGGER_ID: "triggerId",
            F.WORKER_ID: "workerId",
            F.START_DATE: "date",
            F.END_DATE: "date",
        },
        q_keywords=("namespace", "flowId", "triggerId"),
        date_paths=frozenset({"date", "nextExecutionDate", "updatedDate", "evaluateRunningDate"}),
        sortable=frozenset(
            {"namespace", "flowId", "triggerId", "date", "nextExecutionDate", "updatedDate", "workerId"}
        ),
        default_sort=(Sort(field="namespace"), Sort(field="flowId"), Sort(field="triggerId")),
        tiebreakers=("namespace", "flowId", "triggerId"),
        soft_deleted=False,
    ),
    Resource.KV_METADATA: ResourceSpec(
        paths={F.NAMESPACE: "namespace", F.UPDATED: "updateDate"},
        q_keywords=("key", "namespace"),
        q_texts=("description",),
        date_paths=frozenset({"creationDate", "updateDate", "expirationDate"}),
        sortable=frozenset({"key", "namespace", "creationDate", "updateDate", "expirationDate", "version"}),
        default_sort=(Sort(field="namespace"), Sort(field="key")),
        tiebreakers=("namespace", "key"),
    ),
}


@dataclass(frozen=True, kw_only=True)
class CompileOptions:
    now: datetime
    system_namespace: str = "system"


def compile_request(resource: Resource, request: SearchRequest, options: CompileOptions) -> All:
    spec = RESOURCES[resource]
    conditions: list[Condition] = []
    if request.tenant is not None:
        conditions.append(tenant_condition(request.tenant))
    if spec.soft_deleted:
        conditions.append(Not(Terms("deleted", (True,))))
    if resource is Resource.EXECUTION and not any(f.field is F.KIND for f in request.filters):
        # Test and playground executions only show when asked for.
        conditions.append(AnyOf((Not(Exists("kind")), Terms("kind", ("NORMAL",)))))
    conditions.extend(compile_filter(resource, spec, item, options) for item in request.filters)
    return All(tuple(conditions))


def tenant_condition(tenant: str) -> Condition:
    if tenant == DEFAULT_TENANT:
        return AnyOf((Terms("tenantId", (tenant,)), Not(Exists("tenantId"))))
    return Terms("tenantId", (tenant,))


def compile_filter(
    resource: Resource, spec: ResourceSpec, item: Filter, options: CompileOptions
) -> Condition:
    field_, op, value = item.field, item.op, item.value
    if field_ is F.Q:
        return _q(spec, str(value))
    if field_ is F.TIME_RANGE:
        if spec.time_path is None or not isinstance(value, timedelta):
            raise FilterError(f"timeRange cannot filter {resource}")
        return Range(spec.time_path, gte=options.now - value)
    if field_ is F.SCOPE:
        system = Terms(spec.paths[F.NAMESPACE], (options.system_namespace,))
        scopes = value if isinstance(value, tuple) else (str(value),)
        wants_system = Scope.SYSTEM in scopes
        wants_user = Scope.USER in scopes
        if op in (Op.NOT_EQUALS, Op.NOT_IN):
            wants_system, wants_user = not wants_system, not wants_user
        if wants_system and wants_user:
            return All(())
        if not wants_system and not wants_user:
            return Not(All(()))
        return system if wants_system else Not(system)
    if field_ is F.CHILD_FILTER:
        child = Exists("triggerExecutionId")
        return child if value == ChildFilter.CHILD else Not(child)
    if field_ is F.TRIGGER_STATE:
        return Terms("disabled", (value == TriggerState.DISABLED,))
    if field_ is F.EXISTING_ONLY:
        return All(())
    if field_ is F.LABELS:
        return _labels(spec, op, value)
    if field_ is F.LEVEL and op is Op.EQUALS:
        minimum = LogLevel(str(value)).severity
        return Terms(
            spec.paths[F.LEVEL], tuple(level.value for level in LogLevel if level.severity >= minimum)
        )
    path = spec.paths.get(field_)
    if path is None:
        raise FilterError(f"field `{field_}` cannot filter {resource}")
    if isinstance(value, datetime | int) and not isinstance(value, bool):
        return _range(path, op, value)
    return _text(path, op, value)


def _q(spec: ResourceSpec, text: str) -> Condition:
    text = text.strip()
    if not text:
        return All(())
    options: list[Condition] = [Substring(path, text) for path in spec.q_keywords]
    terms = words(text)
    if terms:
        options.extend(Text(path, terms) for path in spec.q_texts)
    return AnyOf(tuple(options))


def _labels(spec: ResourceSpec, op: Op, value: object) -> Condition:
    if not isinstance(value, Mapping):
        raise FilterError("labels filter needs key:value pairs")
    path = spec.paths[F.LABELS]
    each = tuple(
        Nested(path, All((Terms(f"{path}.key", (key,)), Terms(f"{path}.value", (label,)))))
        for key, label in value.items()
    )
    return All(each) if op is Op.EQUALS else All(tuple(Not(condition) for condition in each))


def _range(path: str, op: Op, value: datetime | int) -> Condition:
    bound: datetime | float = value if isinstance(value, datetime) else float(value)
    match op:
        case Op.EQUALS:
            return Range(path, gte=bound, lte=bound)
        case Op.NOT_EQUALS:
            return Not(Range(path, gte=bound, lte=bound))
        case Op.GREATER_THAN:
            return Range(path, gt=bound)
        case Op.GREATER_THAN_OR_EQUAL_TO:
            return Range(path, gte=bound)
        case Op.LESS_THAN:
            return Range(path, lt=bound)
        case Op.LESS_THAN_OR_EQUAL_TO:
            return Range(path, lte=bound)
        case _:
            raise FilterError(f"operation {op} is not allowed on dates")


def _text(path: str, op: Op, value: object) -> Condition:
    values = value if isinstance(value, tuple) else (str(value),)
    first = str(values[0])
    match op:
        case Op.EQUALS | Op.IN:
            return Terms(path, tuple(values))
        case Op.NOT_EQUALS | Op.NOT_IN:
            return Not(Terms(path, tuple(values)))
        case Op.STARTS_WITH:
            return Prefix(path, first, case_insensitive=True)
        case Op.ENDS_WITH:
            return Substring(path, first, ends_only=True)
        case Op.CONTAINS:
            return Substring(path, first)
        case Op.REGEX:
            return Regexp(path, first)
        case Op.PREFIX:
            # The namespace itself and its children, not `io.kestra2` for `io.kestra`.
            return AnyOf((Terms(path, (first,)), Prefix(path, first + ".", case_insensitive=False)))
        case _:
            raise FilterError(f"operation {op} is not allowed on `{path}`")


def sort_keys(resource: Resource, sort: tuple[Sort, ...]) -> tuple[Sort, ...]:
    """The requested sort (checked) or the default, followed by the resource's unique tiebreakers."""
    spec = RESOURCES[resource]
    for item in sort:
        if item.field not in spec.sortable:
            raise FilterError(
                f"cannot sort {resource} by `{item.field}` (sortable: {', '.join(sorted(spec.sortable))})"
            )
    chosen = sort or spec.default_sort
    taken = {item.field for item in chosen}
    return (*chosen, *(Sort(field=path) for path in spec.tiebreakers if path not in taken))
