"""Logs and metrics: per-execution lookups, level semantics, text search, paging, deletes (both backends)."""

from __future__ import annotations

from datetime import timedelta

from kestra_stream.models import LogLevel
from kestra_stream.repository import Page, Resource, SearchRequest, parse_search
from kestra_stream.repository._repositories import Repositories

from .builders import log, metric
from .conftest import NOW, seed


async def _seed_logs(repo: Repositories) -> None:
    await seed(
        repo,
        log(
            "l1",
            "ex1",
            "Starting the task",
            level=LogLevel.INFO,
            at=NOW - timedelta(seconds=3),
            task_run_id="tr1",
            task_id="a",
        ),
        log(
            "l2",
            "ex1",
            "fetched 42 rows from the database",
            level=LogLevel.DEBUG,
            at=NOW - timedelta(seconds=2),
            task_run_id="tr1",
            task_id="a",
            attempt=1,
        ),
        log(
            "l3",
            "ex1",
            "Connection refused: retrying",
            level=LogLevel.WARN,
            at=NOW - timedelta(seconds=1),
            task_run_id="tr2",
            task_id="b",
        ),
        log("l4", "ex1", "Task failed", level=LogLevel.ERROR, at=NOW, task_run_id="tr2", task_id="b"),
        log(
            "l5",
            "ex2",
            "other execution rows",
            level=LogLevel.ERROR,
            at=NOW - timedelta(days=2),
            namespace="company",
        ),
    )


async def test_find_by_execution(repo: Repositories) -> None:
    await _seed_logs(repo)
    every = await repo.logs.find_by_execution("ex1")
    assert [entry.message for entry in every] == [
        "Starting the task",
        "fetched 42 rows from the database",
        "Connection refused: retrying",
        "Task failed",
    ]
    warn = await repo.logs.find_by_execution("ex1", min_level=LogLevel.WARN)
    assert [entry.level for entry in warn] == [LogLevel.WARN, LogLevel.ERROR]
    assert len(await repo.logs.find_by_execution("ex1", task_run_id="tr1")) == 2
    assert len(await repo.logs.find_by_execution("ex1", task_id="b", min_level=LogLevel.ERROR)) == 1
    assert len(await repo.logs.find_by_execution("ex1", attempt=1)) == 1


async def test_search(repo: Repositories) -> None:
    await _seed_logs(repo)

    async def ids(*pairs: tuple[str, str]) -> list[str]:
        request = parse_search(list(pairs), resource=Resource.LOG)
        return [str(entry.message) for entry in (await repo.logs.search(request)).results]

    assert len(await ids()) == 5
    assert await ids(("filters[q][EQUALS]", "ROWS")) == [
        "other execution rows",
        "fetched 42 rows from the database",
    ]
    assert await ids(("q", "rows database")) == ["fetched 42 rows from the database"]
    assert await ids(("filters[level][EQUALS]", "WARN")) == [
        "other execution rows",
        "Connection refused: retrying",
        "Task failed",
    ]
    assert await ids(
        ("filters[level][IN]", "DEBUG,ERROR"), ("filters[namespace][EQUALS]", "io.kestra.tests")
    ) == [
        "fetched 42 rows from the database",
        "Task failed",
    ]
    assert await ids(("filters[timeRange][EQUALS]", "PT2S")) == [
        "fetched 42 rows from the database",
        "Connection refused: retrying",
        "Task failed",
    ]
    assert await ids(("startDate", "2026-03-10T11:59:58Z"), ("endDate", "2026-03-10T11:59:59Z")) == [
        "fetched 42 rows from the database",
        "Connection refused: retrying",
    ]
    assert await ids(("filters[executionId][EQUALS]", "ex2")) == ["other execution rows"]
    assert await ids(("sort", "timestamp:desc"), ("size", "2")) == [
        "Task failed",
        "Connection refused: retrying",
    ]
    page = await repo.logs.search(SearchRequest(page=Page(page=2, size=2)))
    assert page.total == 5 and [entry.message for entry in page.results] == [
        "fetched 42 rows from the database",
        "Connection refused: retrying",
    ]


async def test_delete_by_execution(repo: Repositories) -> None:
    await _seed_logs(repo)
    assert await repo.logs.delete_by_execution("ex1", min_level=LogLevel.WARN) == 2
    await repo.writer.refresh()
    assert len(await repo.logs.find_by_execution("ex1")) == 2
    assert await repo.logs.delete_by_execution("ex1") == 2
    await repo.writer.refresh()
    assert await repo.logs.find_by_execution("ex1") == []
    assert len(await repo.logs.find_by_execution("ex2")) == 1


async def test_metrics(repo: Repositories) -> None:
    await seed(
        repo,
        metric("m1", "ex1", "rows", 10, task_id="a", at=NOW - timedelta(seconds=2)),
        metric("m2", "ex1", "bytes", 2048, task_id="b", at=NOW - timedelta(seconds=1)),
        metric("m3", "ex1", "rows", 5, task_id="b", at=NOW),
        metric("m4", "ex2", "files", 1, task_id="c"),
    )
    result = await repo.metrics.find_by_execution("ex1")
    assert result.total == 3 and [entry.name for entry in result.results] == ["rows", "bytes", "rows"]
    by_task = await repo.metrics.find_by_execution("ex1", task_id="b", page=Page(page=1, size=1))
    assert by_task.total == 2 and by_task.results[0].value == 2048
    assert (await repo.metrics.find_by_execution("ex1", task_run_id="a-run")).total == 1
    assert await repo.metrics.names("io.kestra.tests", "hello") == ["bytes", "files", "rows"]
    assert await repo.metrics.names("io.kestra.tests", "hello", task_id="b") == ["bytes", "rows"]
    assert await repo.metrics.task_ids("io.kestra.tests", "hello") == ["a", "b", "c"]
