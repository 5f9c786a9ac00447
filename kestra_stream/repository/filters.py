"""Kestra's query model (``QueryFilter``, sort, paging) and the parser of its query-string forms.

The webserver turns ``filters[namespace][PREFIX]=io.kestra&sort=state.startDate:desc&page=2`` (or the
legacy ``namespace=io.kestra&state=FAILED&labels=env:prod``) into a :class:`SearchRequest` with
:func:`parse_search`; every repository implementation takes that request. A :class:`FilterError` is an
invalid request (HTTP 422).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from kestra_stream.models.dates import format_instant
from kestra_stream.models.durations import DurationError, format_duration, parse_duration
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000


class FilterError(ValueError):
    """An invalid filter, sort or page (the API answers 422)."""


class Op(StrEnum):
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"
    GREATER_THAN_OR_EQUAL_TO = "GREATER_THAN_OR_EQUAL_TO"
    LESS_THAN_OR_EQUAL_TO = "LESS_THAN_OR_EQUAL_TO"
    IN = "IN"
    NOT_IN = "NOT_IN"
    STARTS_WITH = "STARTS_WITH"
    ENDS_WITH = "ENDS_WITH"
    CONTAINS = "CONTAINS"
    REGEX = "REGEX"
    PREFIX = "PREFIX"


class FilterField(StrEnum):
    """Wire names of the filterable fields (Kestra's ``QueryFilter.Field`` plus the log/metric lookups)."""

    Q = "q"
    SCOPE = "scope"
    NAMESPACE = "namespace"
    KIND = "kind"
    LABELS = "labels"
    FLOW_ID = "flowId"
    UPDATED = "updated"
    START_DATE = "startDate"
    END_DATE = "endDate"
    STATE = "state"
    TIME_RANGE = "timeRange"
    TRIGGER_EXECUTION_ID = "triggerExecutionId"
    TRIGGER_ID = "triggerId"
    TRIGGER_STATE = "triggerState"
    EXECUTION_ID = "executionId"
    CHILD_FILTER = "childFilter"
    WORKER_ID = "workerId"
    EXISTING_ONLY = "existingOnly"
    LEVEL = "level"
    TASK_ID = "taskId"
    TASK_RUN_ID = "taskRunId"
    ATTEMPT = "attempt"
    NAME = "name"


class Resource(StrEnum):
    FLOW = "FLOW"
    EXECUTION = "EXECUTION"
    LOG = "LOG"
    TRIGGER = "TRIGGER"
    KV_METADATA = "KV_METADATA"
    METRIC = "METRIC"
    NAMESPACE = "NAMESPACE"


class ChildFilter(StrEnum):
    CHILD = "CHILD"
    MAIN = "MAIN"


class Scope(StrEnum):
    USER = "USER"
    SYSTEM = "SYSTEM"


class TriggerState(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


F = FilterField
ALLOWED_FIELDS: Mapping[Resource, frozenset[FilterField]] = {
    Resource.FLOW: frozenset({F.LABELS, F.NAMESPACE, F.Q, F.SCOPE, F.FLOW_ID}),
    Resource.EXECUTION: frozenset(
        {
            F.Q,
            F.SCOPE,
            F.FLOW_ID,
            F.START_DATE,
            F.END_DATE,
            F.TIME_RANGE,
            F.STATE,
            F.LABELS,
            F.TRIGGER_EXECUTION_ID,
            F.CHILD_FILTER,
            F.NAMESPACE,
            F.KIND,
        }
    ),
    Resource.LOG: frozenset(
        {
            F.Q,
            F.SCOPE,
            F.NAMESPACE,
            F.START_DATE,
            F.END_DATE,
            F.TIME_RANGE,
            F.FLOW_ID,
            F.TRIGGER_ID,
            F.LEVEL,
            F.EXECUTION_ID,
            F.TASK_ID,
            F.TASK_RUN_ID,
            F.ATTEMPT,
        }
    ),
    Resource.TRIGGER: frozenset(
        {
            F.Q,
            F.SCOPE,
            F.NAMESPACE,
            F.WORKER_ID,
            F.FLOW_ID,
            F.START_DATE,
            F.END_DATE,
            F.TRIGGER_ID,
            F.TRIGGER_STATE,
        }
    ),
    Resource.KV_METADATA: frozenset({F.Q, F.NAMESPACE, F.UPDATED}),
    Resource.METRIC: frozenset(
        {F.NAMESPACE, F.FLOW_ID, F.EXECUTION_ID, F.TASK_ID, F.TASK_RUN_ID, F.NAME, F.START_DATE, F.END_DATE}
    ),
    Resource.NAMESPACE: frozenset({F.Q, F.EXISTING_ONLY}),
}

_TEXT_OPS = frozenset(
    {Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.STARTS_WITH, Op.ENDS_WITH, Op.CONTAINS, Op.REGEX}
)
_SET_OPS = frozenset({Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN})
_RANGE_OPS = frozenset(
    {
        Op.EQUALS,
        Op.NOT_EQUALS,
        Op.GREATER_THAN,
        Op.LESS_THAN,
        Op.GREATER_THAN_OR_EQUAL_TO,
        Op.LESS_THAN_OR_EQUAL_TO,
    }
)
_DATE_FIELDS = frozenset({F.START_DATE, F.END_DATE, F.UPDATED})
_OPS: Mapping[FilterField, frozenset[Op]] = {
    F.Q: frozenset({Op.EQUALS}),
    F.NAMESPACE: _TEXT_OPS | {Op.PREFIX},
    F.LABELS: frozenset({Op.EQUALS, Op.NOT_EQUALS}),
    F.STATE: _SET_OPS,
    F.SCOPE: _SET_OPS,
    F.KIND: _SET_OPS,
    F.LEVEL: _SET_OPS,
    F.TIME_RANGE: frozenset({Op.EQUALS}),
    F.CHILD_FILTER: frozenset({Op.EQUALS}),
    F.TRIGGER_STATE: frozenset({Op.EQUALS}),
    F.EXISTING_ONLY: frozenset({Op.EQUALS}),
    F.ATTEMPT: _RANGE_OPS,
    **dict.fromkeys(_DATE_FIELDS, _RANGE_OPS),
}

FilterValue = str | tuple[str, ...] | Mapping[str, str] | datetime | timedelta | int | bool


@dataclass(frozen=True, kw_only=True)
class Filter:
    """One condition. Values are already typed: ``IN``/``NOT_IN`` hold tuples, dates ``datetime``,
    ``timeRange`` a ``timedelta``, ``labels`` a mapping of label key to value (all must match)."""

    field: FilterField
    op: Op
    value: FilterValue

    def __post_init__(self) -> None:
        allowed = _OPS.get(self.field, _TEXT_OPS)
        if self.op not in allowed:
            raise FilterError(
                f"operation {self.op} is not allowed on `{self.field}` "
                f"(allowed: {', '.join(sorted(allowed))})"
            )


@dataclass(frozen=True, kw_only=True)
class Sort:
    field: str
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> Sort:
        name, _, direction = text.partition(":")
        direction = direction.strip().lower() or "asc"
        if not name.strip() or direction not in ("asc", "desc"):
            raise FilterError(f"invalid sort `{text}`: expected `field` or `field:asc|desc`")
        return cls(field=name.strip(), descending=direction == "desc")


@dataclass(frozen=True, kw_only=True)
class Page:
    """1-based page number and size, as the API takes them."""

    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        if self.page < 1:
            raise FilterError(f"page must be >= 1, got {self.page}")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise FilterError(f"size must be between 1 and {MAX_PAGE_SIZE}, got {self.size}")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True, kw_only=True)
class SearchRequest:
    filters: tuple[Filter, ...] = ()
    sort: tuple[Sort, ...] = ()
    page: Page = field(default_factory=Page)
    # Documents without a tenant belong to the default tenant `main`.
    tenant: str | None = None


@dataclass(frozen=True, kw_only=True)
class PagedResults(Generic[T]):
    results: list[T]
    total: int


# -- parsing -----------------------------------------------------------------------------------------

QueryParams = Mapping[str, Any] | Iterable[tuple[str, str]]

_FILTER_KEY = re.compile(r"^filters\[([^\]]+)\]\[([^\]]+)\](?:\[([^\]]*)\])?$")

# Legacy query parameters and the filter each one stands for (RequestUtils' legacy mapping).
_LEGACY: Mapping[str, tuple[FilterField, Op]] = {
    "q": (F.Q, Op.EQUALS),
    "namespace": (F.NAMESPACE, Op.PREFIX),
    "flowId": (F.FLOW_ID, Op.EQUALS),
    "state": (F.STATE, Op.IN),
    "labels": (F.LABELS, Op.EQUALS),
    "startDate": (F.START_DATE, Op.GREATER_THAN_OR_EQUAL_TO),
    "endDate": (F.END_DATE, Op.LESS_THAN_OR_EQUAL_TO),
    "timeRange": (F.TIME_RANGE, Op.EQUALS),
    "scope": (F.SCOPE, Op.IN),
    "childFilter": (F.CHILD_FILTER, Op.EQUALS),
    "triggerExecutionId": (F.TRIGGER_EXECUTION_ID, Op.EQUALS),
    "triggerId": (F.TRIGGER_ID, Op.EQUALS),
    "executionId": (F.EXECUTION_ID, Op.EQUALS),
    "minLevel": (F.LEVEL, Op.EQUALS),
    "level": (F.LEVEL, Op.EQUALS),
    "workerId": (F.WORKER_ID, Op.EQUALS),
    "kind": (F.KIND, Op.EQUALS),
    "taskId": (F.TASK_ID, Op.EQUALS),
    "taskRunId": (F.TASK_RUN_ID, Op.EQUALS),
    "existing": (F.EXISTING_ONLY, Op.EQUALS),
    "existingOnly": (F.EXISTING_ONLY, Op.EQUALS),
}
_MULTI_LEGACY = frozenset({"state", "labels", "scope"})


def parse_search(params: QueryParams, *, resource: Resource, tenant: str | None = None) -> SearchRequest:
    """``filters[...]``/legacy params, ``sort`` (repeatable), ``page`` and ``size`` into a request."""
    pairs = _pairs(params)
    return SearchRequest(
        filters=parse_filters(pairs, resource=resource),
        sort=tuple(Sort.parse(value) for name, value in pairs if name == "sort" and value),
        page=parse_page(pairs),
        tenant=tenant,
    )


def parse_page(params: QueryParams) -> Page:
    values = dict(_pairs(params))
    try:
        return Page(page=int(values.get("page") or 1), size=int(values.get("size") or DEFAULT_PAGE_SIZE))
    except ValueError as error:
        if isinstance(error, FilterError):
            raise
        raise FilterError(f"page and size must be integers: {error}") from error


def parse_filters(params: QueryParams, *, resource: Resource) -> tuple[Filter, ...]:
    """The ``filters[field][OP]`` parameters; only when there are none, the legacy parameters."""
    pairs = _pairs(params)
    structured = [(m, value) for name, value in pairs if (m := _FILTER_KEY.match(name))]
    if structured:
        return _structured_filters(structured, resource)
    return _legacy_filters(pairs, resource)


def _pairs(params: QueryParams) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        items: Iterable[tuple[str, Any]] = params.items()
        if hasattr(params, "getall"):  # aiohttp/multidict: items() already repeats keys
            return [(str(k), str(v)) for k, v in items]
    else:
        items = params
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        if isinstance(value, list | tuple):
            pairs.extend((str(name), str(item)) for item in value)
        elif value is not None:
            pairs.append((str(name), str(value)))
    return pairs


def _structured_filters(matches: list[tuple[re.Match[str], str]], resource: Resource) -> tuple[Filter, ...]:
    labels: dict[Op, dict[str, str]] = {}
    filters: list[Filter] = []
    for match, raw in matches:
        name, op_name, label_key = match.group(1), match.group(2), match.group(3)
        field_ = _field(name, resource)
        op = _op(op_name)
        if field_ is F.LABELS:
            pairs = {label_key: raw} if label_key is not None else _labels(raw)
            labels.setdefault(op, {}).update(pairs)
            continue
        filters.append(make_filter(field_, op, raw))
    filters.extend(Filter(field=F.LABELS, op=op, value=pairs) for op, pairs in labels.items())
    return tuple(filters)


def _legacy_filters(pairs: list[tuple[str, str]], resource: Resource) -> tuple[Filter, ...]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        if name in _LEGACY and value != "":
            grouped.setdefault(name, []).append(value)
    filters: list[Filter] = []
    for name, values in grouped.items():
        field_, op = _LEGACY[name]
        if field_ not in ALLOWED_FIELDS[resource]:
            continue  # legacy parameters of other resources are ignored, as Kestra does
        if name == "labels":
            merged: dict[str, str] = {}
            for value in values:
                merged.update(_labels(value))
            filters.append(Filter(field=field_, op=op, value=merged))
        elif name in _MULTI_LEGACY:
            filters.append(make_filter(field_, op, ",".join(values)))
        else:
            filters.append(make_filter(field_, op, values[-1]))
    return tuple(filters)


def make_filter(field_: FilterField, op: Op, raw: str) -> Filter:
    """A filter from its textual value, typed for its field (raises :class:`FilterError`)."""
    if op in (Op.IN, Op.NOT_IN):
        items = tuple(item.strip() for item in raw.split(",") if item.strip())
        if not items:
            raise FilterError(f"`{field_}` {op} needs at least one value")
        return Filter(field=field_, op=op, value=tuple(_typed_text(field_, item) for item in items))
    return Filter(field=field_, op=op, value=_typed(field_, raw))


def _typed(field_: FilterField, raw: str) -> FilterValue:
    if field_ in _DATE_FIELDS:
        return parse_date(raw)
    if field_ is F.TIME_RANGE:
        try:
            duration = parse_duration(raw)
        except DurationError as error:
            raise FilterError(str(error)) from error
        if duration <= timedelta(0):
            raise FilterError(f"timeRange must be positive: {raw}")
        return duration
    if field_ is F.LABELS:
        return _labels(raw)
    if field_ is F.ATTEMPT:
        try:
            return int(raw)
        except ValueError as error:
            raise FilterError(f"attempt must be an integer: {raw}") from error
    if field_ is F.EXISTING_ONLY:
        return raw.strip().lower() == "true"
    return _typed_text(field_, raw)


def _typed_text(field_: FilterField, raw: str) -> str:
    enum_type: type[StrEnum] | None = {
        F.STATE: StateType,
        F.LEVEL: LogLevel,
        F.CHILD_FILTER: ChildFilter,
        F.SCOPE: Scope,
        F.TRIGGER_STATE: TriggerState,
    }.get(field_)
    if enum_type is None:
        return raw
    try:
        return str(enum_type(raw.strip().upper()))
    except ValueError as error:
        choices = ", ".join(member.value for member in enum_type)
        raise FilterError(f"invalid {field_} `{raw}` (expected one of {choices})") from error


def parse_date(raw: str) -> datetime:
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise FilterError(f"invalid ISO-8601 date `{raw}`") from error
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _labels(raw: str) -> dict[str, str]:
    key, sep, value = raw.partition(":")
    if not sep or not key:
        raise FilterError(f"invalid label `{raw}`: expected `key:value`")
    return {key: value}


def _field(name: str, resource: Resource) -> FilterField:
    try:
        field_ = FilterField(name)
    except ValueError as error:
        raise FilterError(f"unknown filter field `{name}`") from error
    if field_ not in ALLOWED_FIELDS[resource]:
        allowed = ", ".join(sorted(ALLOWED_FIELDS[resource]))
        raise FilterError(f"field `{name}` cannot filter {resource} (allowed: {allowed})")
    return field_


def _op(name: str) -> Op:
    try:
        return Op(name.upper())
    except ValueError as error:
        raise FilterError(f"unknown filter operation `{name}`") from error


def filters_to_params(filters: Sequence[Filter]) -> list[tuple[str, str]]:
    """The inverse of :func:`parse_filters` (links, exports)."""
    pairs: list[tuple[str, str]] = []
    for item in filters:
        value = item.value
        if isinstance(value, Mapping):
            pairs.extend((f"filters[{item.field}][{item.op}][{k}]", v) for k, v in value.items())
            continue
        if isinstance(value, tuple):
            text = ",".join(value)
        elif isinstance(value, datetime):
            text = format_instant(value)
        elif isinstance(value, timedelta):
            text = format_duration(value)
        else:
            text = str(value).lower() if isinstance(value, bool) else str(value)
        pairs.append((f"filters[{item.field}][{item.op}]", text))
    return pairs
