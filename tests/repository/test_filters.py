"""The query-string parser: Kestra's ``filters[field][OP]`` form, legacy parameters, sort, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from multidict import MultiDict

from kestra_stream.repository import (
    Filter,
    FilterError,
    FilterField,
    Op,
    Page,
    Resource,
    Sort,
    filters_to_params,
    parse_filters,
    parse_search,
)


def test_structured_filters_are_typed() -> None:
    filters = parse_filters(
        [
            ("filters[namespace][PREFIX]", "io.kestra"),
            ("filters[state][IN]", "FAILED, success"),
            ("filters[startDate][GREATER_THAN]", "2026-03-10T10:00:00Z"),
            ("filters[timeRange][EQUALS]", "PT5M"),
            ("filters[labels][EQUALS][env]", "prod"),
            ("filters[labels][EQUALS][team]", "data"),
            ("filters[childFilter][EQUALS]", "child"),
        ],
        resource=Resource.EXECUTION,
    )
    assert filters == (
        Filter(field=FilterField.NAMESPACE, op=Op.PREFIX, value="io.kestra"),
        Filter(field=FilterField.STATE, op=Op.IN, value=("FAILED", "SUCCESS")),
        Filter(
            field=FilterField.START_DATE,
            op=Op.GREATER_THAN,
            value=datetime(2026, 3, 10, 10, tzinfo=UTC),
        ),
        Filter(field=FilterField.TIME_RANGE, op=Op.EQUALS, value=timedelta(minutes=5)),
        Filter(field=FilterField.CHILD_FILTER, op=Op.EQUALS, value="CHILD"),
        Filter(field=FilterField.LABELS, op=Op.EQUALS, value={"env": "prod", "team": "data"}),
    )


def test_legacy_parameters_only_without_structured_filters() -> None:
    legacy = parse_filters(
        {"namespace": "io.kestra", "state": ["FAILED", "WARNING"], "labels": ["env:prod", "a:b:c"], "q": "x"},
        resource=Resource.EXECUTION,
    )
    assert legacy == (
        Filter(field=FilterField.NAMESPACE, op=Op.PREFIX, value="io.kestra"),
        Filter(field=FilterField.STATE, op=Op.IN, value=("FAILED", "WARNING")),
        Filter(field=FilterField.LABELS, op=Op.EQUALS, value={"env": "prod", "a": "b:c"}),
        Filter(field=FilterField.Q, op=Op.EQUALS, value="x"),
    )
    mixed = parse_filters([("namespace", "a"), ("filters[flowId][EQUALS]", "b")], resource=Resource.EXECUTION)
    assert mixed == (Filter(field=FilterField.FLOW_ID, op=Op.EQUALS, value="b"),)
    # a legacy parameter another resource uses is ignored, not an error
    assert parse_filters({"state": "FAILED"}, resource=Resource.FLOW) == ()
    # `minLevel` of the log endpoints
    assert parse_filters({"minLevel": "warn"}, resource=Resource.LOG) == (
        Filter(field=FilterField.LEVEL, op=Op.EQUALS, value="WARN"),
    )


def test_multidict_query_strings() -> None:
    params = MultiDict(
        [("state", "FAILED"), ("state", "KILLED"), ("sort", "id:desc"), ("page", "3"), ("size", "25")]
    )
    request = parse_search(params, resource=Resource.EXECUTION, tenant="main")
    assert request.filters == (Filter(field=FilterField.STATE, op=Op.IN, value=("FAILED", "KILLED")),)
    assert request.sort == (Sort(field="id", descending=True),)
    assert request.page == Page(page=3, size=25) and request.page.offset == 50
    assert request.tenant == "main"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("filters[nope][EQUALS]", "x")], "unknown filter field"),
        ([("filters[state][EQUALS]", "x")], "invalid state"),
        ([("filters[state][PREFIX]", "FAILED")], "not allowed"),
        ([("filters[namespace][LIKE]", "x")], "unknown filter operation"),
        ([("filters[level][EQUALS]", "INFO")], "cannot filter EXECUTION"),
        ([("filters[startDate][EQUALS]", "yesterday")], "invalid ISO-8601 date"),
        ([("filters[timeRange][EQUALS]", "P1M")], "months"),
        ([("filters[labels][EQUALS]", "novalue")], "key:value"),
        ([("filters[state][IN]", " , ")], "at least one value"),
        ([("page", "0")], "page must be"),
        ([("size", "5000")], "size must be"),
        ([("size", "ten")], "integers"),
        ([("sort", "id:sideways")], "invalid sort"),
    ],
)
def test_invalid_requests(params: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_search(params, resource=Resource.EXECUTION)


def test_round_trip_to_params() -> None:
    pairs = [
        ("filters[namespace][PREFIX]", "io.kestra"),
        ("filters[state][NOT_IN]", "FAILED,KILLED"),
        ("filters[startDate][LESS_THAN_OR_EQUAL_TO]", "2026-03-10T10:00:00Z"),
        ("filters[timeRange][EQUALS]", "PT5M"),
        ("filters[labels][EQUALS][env]", "prod"),
    ]
    filters = parse_filters(pairs, resource=Resource.EXECUTION)
    assert parse_filters(filters_to_params(filters), resource=Resource.EXECUTION) == filters
