"""Repository filters built from task properties (shared by the control-plane tasks)."""

from __future__ import annotations

from datetime import UTC, datetime

from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._purge import parse_before
from kestra_stream.plugins.core._values import as_text
from kestra_stream.repository import SearchRequest
from kestra_stream.repository.filters import Filter, FilterField, Op


def rendered(ctx: RunContext, value: str | None) -> str | None:
    if value is None:
        return None
    text = as_text(ctx.render(value)).strip()
    return text or None


def rendered_date(ctx: RunContext, value: str | None) -> datetime | None:
    """A date property: an expression may give a date-time (``now() | dateAdd(...)``) or ISO text."""
    if value is None:
        return None
    result = ctx.render(value)
    if isinstance(result, datetime):
        return result if result.tzinfo is not None else result.replace(tzinfo=UTC)
    text = as_text(result).strip()
    return parse_before(text) if text else None


def equals(field: FilterField, value: str) -> Filter:
    return Filter(field=field, op=Op.EQUALS, value=value)


def date_range(field: FilterField, start: datetime | None, end: datetime | None) -> list[Filter]:
    bounds = []
    if start is not None:
        bounds.append(Filter(field=field, op=Op.GREATER_THAN_OR_EQUAL_TO, value=start))
    if end is not None:
        bounds.append(Filter(field=field, op=Op.LESS_THAN_OR_EQUAL_TO, value=end))
    return bounds


def request(filters: list[Filter], tenant: str | None = None) -> SearchRequest:
    return SearchRequest(filters=tuple(filters), tenant=tenant)
