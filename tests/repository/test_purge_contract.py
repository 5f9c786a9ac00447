"""What the purge and count tasks need from the repository (both backends): ``delete_matching`` on
logs and metrics, hard execution deletes, and counts by namespace/flow/state/start date."""

from __future__ import annotations

from datetime import timedelta

from kestra_stream.models import LogLevel, StateType
from kestra_stream.repository import Page, SearchRequest
from kestra_stream.repository._repositories import Repositories
from kestra_stream.repository.filters import Filter, FilterField, Op

from .builders import execution, executions, log, metric
from .conftest import NOW, seed


def _request(*filters: Filter) -> SearchRequest:
    return SearchRequest(filters=filters)


async def test_delete_matching_logs_by_execution_and_levels(repo: Repositories) -> None:
    await seed(
        repo,
        log("l1", "ex1", "one", level=LogLevel.INFO, at=NOW),
        log("l2", "ex1", "two", level=LogLevel.WARN, at=NOW),
        log("l3", "ex2", "three", level=LogLevel.WARN, at=NOW),
    )
    deleted = await repo.logs.delete_matching(
        _request(
            Filter(field=FilterField.EXECUTION_ID, op=Op.EQUALS, value="ex1"),
            Filter(field=FilterField.LEVEL, op=Op.IN, value=("WARN",)),
        )
    )
    await repo.writer.refresh()
    assert deleted == 1
    assert [entry.message for entry in await repo.logs.find_by_execution("ex1")] == ["one"]
    assert len(await repo.logs.find_by_execution("ex2")) == 1


async def test_delete_matching_metrics_and_hard_execution_delete(repo: Repositories) -> None:
    await seed(
        repo,
        metric("m1", "ex1", "rows", 1.0),
        metric("m2", "ex2", "rows", 2.0),
        *executions(execution("ex1"), execution("ex2")),
    )
    by_execution = _request(Filter(field=FilterField.EXECUTION_ID, op=Op.EQUALS, value="ex1"))
    assert await repo.metrics.delete_matching(by_execution) == 1
    assert await repo.executions.delete("ex1", hard=True)
    await repo.writer.refresh()
    assert (await repo.metrics.find_by_execution("ex1")).total == 0
    assert (await repo.metrics.find_by_execution("ex2")).total == 1
    assert await repo.executions.find_by_id("ex1", allow_deleted=True) is None


async def test_count_by_flow_state_and_start_date(repo: Repositories) -> None:
    await seed(
        repo,
        *executions(
            execution("e1", started=NOW - timedelta(hours=1)),
            execution("e2", started=NOW - timedelta(days=3)),
            execution("e3", started=NOW - timedelta(hours=2), state=StateType.FAILED),
        ),
    )
    request = SearchRequest(
        filters=(
            Filter(field=FilterField.NAMESPACE, op=Op.EQUALS, value="io.kestra.tests"),
            Filter(field=FilterField.FLOW_ID, op=Op.EQUALS, value="hello"),
            Filter(
                field=FilterField.START_DATE, op=Op.GREATER_THAN_OR_EQUAL_TO, value=NOW - timedelta(days=1)
            ),
            Filter(field=FilterField.STATE, op=Op.IN, value=("SUCCESS",)),
        ),
        page=Page(size=1),
    )
    assert (await repo.executions.search(request)).total == 1
