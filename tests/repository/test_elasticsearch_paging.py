"""Elasticsearch only: pages past ``index.max_result_window`` walk with ``search_after``."""

from __future__ import annotations

import pytest

from kestra_stream.repository import Page, SearchRequest, Sort
from kestra_stream.repository import elasticsearch as es_module
from kestra_stream.repository.elasticsearch import ElasticsearchRepository

from .builders import execution, executions
from .conftest import seed

pytestmark = pytest.mark.elasticsearch


@pytest.mark.parametrize("repo", ["elasticsearch"], indirect=True)
async def test_deep_pages(repo: ElasticsearchRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    await seed(repo, *executions(*(execution(f"x{i:03d}") for i in range(40))))
    monkeypatch.setattr(es_module, "MAX_RESULT_WINDOW", 7)
    sort = (Sort(field="id"),)
    for number in (1, 2, 3, 6, 8):
        page = await repo.executions.search(SearchRequest(sort=sort, page=Page(page=number, size=5)))
        assert page.total == 40
        assert [item.id for item in page.results] == [
            f"x{i:03d}" for i in range((number - 1) * 5, min(number * 5, 40))
        ]
    beyond = await repo.executions.search(SearchRequest(sort=sort, page=Page(page=9, size=5)))
    assert beyond.results == [] and beyond.total == 40
