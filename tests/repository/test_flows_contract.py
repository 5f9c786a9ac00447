"""Flows: revisions, soft delete, lookups, search, distinct namespaces (both backends)."""

from __future__ import annotations

from kestra_stream.models import Label
from kestra_stream.repository import Resource, SearchRequest, parse_search
from kestra_stream.repository._repositories import Repositories

from .builders import flow
from .conftest import NOW


async def test_revisions_soft_delete_and_recreate(repo: Repositories) -> None:
    first = await repo.flows.save(flow("io.kestra", "hello"))
    assert first is not None and first.revision == 1 and first.updated == NOW
    assert await repo.flows.save(flow("io.kestra", "hello")) is None  # same source: no new revision
    second = await repo.flows.save(flow("io.kestra", "hello", source_suffix="!"))
    assert second is not None and second.revision == 2

    latest = await repo.flows.find("io.kestra", "hello")
    assert (
        latest is not None
        and latest.revision == 2
        and latest.source is not None
        and latest.source.endswith("hi!\n")
    )
    # properties the repository does not type survive the round trip
    assert latest.to_json_dict()["tasks"][0]["type"] == "io.kestra.plugin.core.log.Log"
    old = await repo.flows.find("io.kestra", "hello", revision=1)
    assert old is not None and old.revision == 1 and old.source is not None and old.source.endswith("hi\n")

    deleted = await repo.flows.delete("io.kestra", "hello")
    assert deleted is not None and deleted.revision == 3 and deleted.deleted
    await repo.writer.refresh()
    assert await repo.flows.find("io.kestra", "hello") is None
    found = await repo.flows.find("io.kestra", "hello", allow_deleted=True)
    assert found is not None and found.deleted
    assert await repo.flows.delete("io.kestra", "hello") is None
    assert [item.revision for item in await repo.flows.revisions("io.kestra", "hello")] == [1, 2, 3]

    recreated = await repo.flows.save(flow("io.kestra", "hello", source_suffix="!"))
    assert recreated is not None and recreated.revision == 4 and not recreated.deleted


async def test_a_stale_revision_never_overwrites_the_latest(repo: Repositories) -> None:
    from kestra_stream.repository import IndexKey, Upsert
    from kestra_stream.repository.documents import flow_document, flow_ids

    newer = flow("io.kestra", "f", source_suffix="2").model_copy(update={"revision": 2})
    older = flow("io.kestra", "f").model_copy(update={"revision": 1})
    for record in (newer, older):
        document = flow_document(record)
        latest_id, _ = flow_ids(document)
        outcome = await repo.writer.bulk(
            [Upsert(index=IndexKey.FLOWS, doc_id=latest_id, document=document, version=record.revision)]
        )
    assert outcome.conflicts == 1
    latest = await repo.flows.find("io.kestra", "f")
    assert latest is not None and latest.revision == 2


async def test_search_find_by_namespace_and_distinct(repo: Repositories) -> None:
    await repo.flows.save(
        flow("io.kestra", "alpha", labels=(Label(key="env", value="prod"),), description="Nightly ETL")
    )
    await repo.flows.save(flow("io.kestra.sub", "beta"))
    await repo.flows.save(flow("company.team", "gamma", labels=(Label(key="env", value="dev"),)))
    await repo.flows.save(flow("company.team", "dropped"))
    await repo.flows.delete("company.team", "dropped")
    await repo.writer.refresh()

    async def ids(*pairs: tuple[str, str]) -> list[str]:
        request = parse_search(list(pairs), resource=Resource.FLOW)
        return [f"{item.namespace}.{item.id}" for item in (await repo.flows.search(request)).results]

    assert await ids() == ["company.team.gamma", "io.kestra.alpha", "io.kestra.sub.beta"]
    assert await ids(("filters[namespace][PREFIX]", "io.kestra")) == ["io.kestra.alpha", "io.kestra.sub.beta"]
    assert await ids(("filters[labels][EQUALS][env]", "prod")) == ["io.kestra.alpha"]
    assert await ids(("q", "etl")) == ["io.kestra.alpha"]  # a word of the description
    assert await ids(("q", "gam")) == ["company.team.gamma"]  # part of an id
    assert await ids(("filters[flowId][EQUALS]", "beta")) == ["io.kestra.sub.beta"]
    assert await ids(("sort", "id:desc")) == ["company.team.gamma", "io.kestra.sub.beta", "io.kestra.alpha"]

    assert [item.id for item in await repo.flows.find_by_namespace("company.team")] == ["gamma"]
    assert await repo.flows.distinct_namespaces() == ["company.team", "io.kestra", "io.kestra.sub"]
    assert await repo.flows.distinct_namespaces(q="SUB") == ["io.kestra.sub"]
    total = (await repo.flows.search(SearchRequest())).total
    assert total == 3
