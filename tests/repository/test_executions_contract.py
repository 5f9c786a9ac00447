"""Executions: lookups, every filter kind, sort and paging, deletes, daily statistics (both backends)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from kestra_stream.models import Execution, ExecutionKind, StateType
from kestra_stream.repository import (
    FilterError,
    Page,
    Resource,
    SearchRequest,
    Sort,
    parse_search,
)
from kestra_stream.repository._repositories import Repositories

from .builders import execution, executions
from .conftest import NOW, seed


def _ids(results: Sequence[Execution]) -> list[str]:
    return [item.id for item in results]


async def _search(repo: Repositories, query: str, **extra: str) -> list[str]:
    pairs = [tuple(part.split("=", 1)) for part in query.split("&") if part]
    request = parse_search([*pairs, *extra.items(), ("size", "100")], resource=Resource.EXECUTION)  # type: ignore[list-item]
    return sorted(_ids((await repo.executions.search(request)).results))


@pytest.fixture
async def seeded(repo: Repositories) -> Repositories:
    await seed(
        repo,
        *executions(
            execution(
                "e1",
                namespace="io.kestra",
                flow_id="alpha",
                state=StateType.SUCCESS,
                labels={"env": "prod", "team": "data"},
            ),
            execution(
                "e2",
                namespace="io.kestra.sub",
                flow_id="beta",
                state=StateType.FAILED,
                labels={"env": "dev"},
                started=NOW - timedelta(days=2),
            ),
            execution(
                "e3",
                namespace="io.kestra2",
                flow_id="alpha-2",
                state=StateType.RUNNING,
                labels={"env": "prod"},
                started=NOW - timedelta(minutes=5),
            ),
            execution(
                "e4",
                namespace="system",
                flow_id="purge",
                state=StateType.WARNING,
                started=NOW - timedelta(days=1),
            ),
            execution(
                "e5",
                namespace="io.kestra",
                flow_id="gamma",
                state=StateType.SUCCESS,
                parent="e1",
                labels={"team": "prod"},
            ),
            execution("e6", namespace="io.kestra", flow_id="alpha", kind=ExecutionKind.PLAYGROUND),
        ),
    )
    return repo


async def test_find_by_id(seeded: Repositories) -> None:
    found = await seeded.executions.find_by_id("e1")
    assert found is not None and found.flow_id == "alpha" and found.state.current is StateType.SUCCESS
    assert found.labels is not None and {label.key for label in found.labels} == {"env", "team"}
    assert await seeded.executions.find_by_id("missing") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["e1", "e2", "e3", "e4", "e5"]),
        ("filters[namespace][PREFIX]=io.kestra", ["e1", "e2", "e5"]),
        ("namespace=io.kestra", ["e1", "e2", "e5"]),
        ("filters[namespace][EQUALS]=io.kestra", ["e1", "e5"]),
        ("filters[namespace][NOT_EQUALS]=io.kestra", ["e2", "e3", "e4"]),
        ("filters[namespace][IN]=system,io.kestra2", ["e3", "e4"]),
        ("filters[namespace][NOT_IN]=system,io.kestra2", ["e1", "e2", "e5"]),
        ("filters[namespace][STARTS_WITH]=IO.KESTRA", ["e1", "e2", "e3", "e5"]),
        ("filters[namespace][ENDS_WITH]=.sub", ["e2"]),
        ("filters[flowId][CONTAINS]=LPH", ["e1", "e3"]),
        ("filters[flowId][REGEX]=alpha-[0-9]", ["e3"]),
        ("filters[flowId][EQUALS]=alpha", ["e1"]),
        ("flowId=beta", ["e2"]),
        ("filters[state][EQUALS]=FAILED", ["e2"]),
        ("filters[state][IN]=SUCCESS,WARNING", ["e1", "e4", "e5"]),
        ("filters[state][NOT_IN]=SUCCESS,WARNING", ["e2", "e3"]),
        ("state=RUNNING&state=FAILED", ["e2", "e3"]),
        ("filters[labels][EQUALS][env]=prod", ["e1", "e3"]),
        ("filters[labels][EQUALS][env]=prod&filters[labels][EQUALS][team]=data", ["e1"]),
        ("labels=env:prod&labels=team:data", ["e1"]),
        # `prod` as the value of another key does not match env=prod (nested labels)
        ("filters[labels][EQUALS][team]=prod", ["e5"]),
        ("filters[labels][NOT_EQUALS][env]=prod", ["e2", "e4", "e5"]),
        ("filters[startDate][GREATER_THAN_OR_EQUAL_TO]=2026-03-10T00:00:00Z", ["e1", "e3", "e5"]),
        ("filters[startDate][LESS_THAN]=2026-03-09T12:00:00Z", ["e2"]),
        ("startDate=2026-03-09T00:00:00Z&endDate=2026-03-10T11:30:00Z", ["e1", "e4", "e5"]),
        ("filters[endDate][GREATER_THAN]=2026-03-10T11:00:01Z", ["e1", "e5"]),
        ("filters[timeRange][EQUALS]=PT10M", ["e3"]),
        ("timeRange=P1D", ["e1", "e3", "e4", "e5"]),
        ("filters[q][EQUALS]=gam", ["e5"]),
        ("q=KESTRA.SUB", ["e2"]),
        ("filters[childFilter][EQUALS]=CHILD", ["e5"]),
        ("filters[childFilter][EQUALS]=MAIN", ["e1", "e2", "e3", "e4"]),
        ("filters[triggerExecutionId][EQUALS]=e1", ["e5"]),
        ("filters[scope][EQUALS]=SYSTEM", ["e4"]),
        ("filters[scope][EQUALS]=USER", ["e1", "e2", "e3", "e5"]),
        ("filters[kind][EQUALS]=PLAYGROUND", ["e6"]),
    ],
)
async def test_filters(seeded: Repositories, query: str, expected: list[str]) -> None:
    assert await _search(seeded, query) == expected


async def test_sort_paging_and_total(seeded: Repositories) -> None:
    request = SearchRequest(sort=(Sort(field="state.startDate", descending=True),), page=Page(page=1, size=2))
    first = await seeded.executions.search(request)
    assert first.total == 5
    assert _ids(first.results) == ["e3", "e1"]
    second = await seeded.executions.search(SearchRequest(sort=request.sort, page=Page(page=2, size=2)))
    # e1 and e5 started at the same instant: the id tiebreaker keeps pages stable
    assert _ids(second.results) == ["e5", "e4"]
    third = await seeded.executions.search(SearchRequest(sort=request.sort, page=Page(page=3, size=2)))
    assert _ids(third.results) == ["e2"] and third.total == 5
    by_duration = await seeded.executions.search(
        SearchRequest(sort=(Sort(field="state.duration"), Sort(field="id", descending=True)))
    )
    # every terminated one took 2 s (ties broken by id, descending); the running one counts until now
    assert _ids(by_duration.results) == ["e5", "e4", "e2", "e1", "e3"]


async def test_default_sort_is_newest_first(seeded: Repositories) -> None:
    result = await seeded.executions.search(SearchRequest())
    assert _ids(result.results) == ["e3", "e1", "e5", "e4", "e2"]


async def test_unknown_sort_field_is_an_error(seeded: Repositories) -> None:
    with pytest.raises(FilterError):
        await seeded.executions.search(SearchRequest(sort=(Sort(field="taskRunList"),)))


async def test_scan_iterates_everything_in_order(seeded: Repositories) -> None:
    ids = [item.id async for item in seeded.executions.scan(SearchRequest(sort=(Sort(field="id"),)))]
    assert ids == ["e1", "e2", "e3", "e4", "e5"]


async def test_find_children(seeded: Repositories) -> None:
    assert _ids(await seeded.executions.find_children("e1")) == ["e5"]
    assert await seeded.executions.find_children("e2") == []


async def test_soft_and_hard_delete(seeded: Repositories) -> None:
    assert await seeded.executions.delete("e2")
    await seeded.writer.refresh()
    assert await seeded.executions.find_by_id("e2") is None
    deleted = await seeded.executions.find_by_id("e2", allow_deleted=True)
    assert deleted is not None and deleted.deleted
    assert "e2" not in await _search(seeded, "")
    assert not await seeded.executions.delete("e2")  # already deleted
    # a replay of the same snapshot (same version) does not bring it back
    outcome = await seeded.writer.bulk(executions(execution("e2"), version=1))
    assert outcome.conflicts == 1
    assert await seeded.executions.find_by_id("e2") is None

    assert await seeded.executions.delete("e3", hard=True)
    await seeded.writer.refresh()
    assert await seeded.executions.find_by_id("e3", allow_deleted=True) is None
    assert not await seeded.executions.delete("missing")


async def test_tenant(repo: Repositories) -> None:
    other = execution("t1").model_copy(update={"tenant_id": "acme"})
    await seed(repo, *executions(other, execution("t2")))
    acme = await repo.executions.search(SearchRequest(tenant="acme"))
    assert _ids(acme.results) == ["t1"]
    main = await repo.executions.search(SearchRequest(tenant="main"))
    assert _ids(main.results) == ["t2"]
    assert await repo.executions.find_by_id("t1", tenant="main") is None


async def test_daily_statistics(seeded: Repositories) -> None:
    request = parse_search([("filters[namespace][PREFIX]", "io.kestra")], resource=Resource.EXECUTION)
    days = await seeded.executions.daily_statistics(request, start=NOW - timedelta(days=3), end=NOW)
    assert [day.start_date.isoformat() for day in days] == [
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    assert days[0].execution_counts[StateType.SUCCESS] == 0
    assert days[1].execution_counts[StateType.FAILED] == 1
    today = days[3]
    assert today.execution_counts[StateType.SUCCESS] == 2
    assert today.execution_counts[StateType.FAILED] == 0
    assert today.duration.count == 2
    assert today.duration.sum == pytest.approx(4.0)
    assert today.duration.max == pytest.approx(2.0)
