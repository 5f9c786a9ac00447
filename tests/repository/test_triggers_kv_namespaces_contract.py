"""Triggers, KV metadata and derived namespaces (both backends)."""

from __future__ import annotations

from kestra_stream.repository import Page, Resource, parse_search
from kestra_stream.repository._repositories import Repositories

from .builders import flow, kv, trigger
from .conftest import seed


async def test_triggers(repo: Repositories) -> None:
    await seed(
        repo,
        trigger("io.kestra", "alpha", "schedule", worker="w1"),
        trigger("io.kestra", "beta", "webhook", disabled=True),
        trigger("company", "gamma", "schedule"),
    )

    async def uids(*pairs: tuple[str, str]) -> list[str]:
        request = parse_search(list(pairs), resource=Resource.TRIGGER)
        return [f"{t.flow_id}.{t.trigger_id}" for t in (await repo.triggers.search(request)).results]

    assert await uids() == ["gamma.schedule", "alpha.schedule", "beta.webhook"]
    assert await uids(("namespace", "io.kestra")) == ["alpha.schedule", "beta.webhook"]
    assert await uids(("filters[triggerState][EQUALS]", "DISABLED")) == ["beta.webhook"]
    assert await uids(("filters[workerId][EQUALS]", "w1")) == ["alpha.schedule"]
    assert await uids(("q", "webh")) == ["beta.webhook"]
    found = await repo.triggers.find("io.kestra", "alpha", "schedule")
    assert found is not None and found.worker_id == "w1"
    assert await repo.triggers.find("io.kestra", "alpha", "nope") is None


async def test_kv_metadata(repo: Repositories) -> None:
    await seed(
        repo,
        kv("io.kestra", "b_key", description="API token for the CRM"),
        kv("io.kestra", "a_key"),
        kv("io.kestra", "gone", deleted=True),
        kv("company", "c_key"),
    )
    assert [entry.key for entry in await repo.kv.list_by_namespace("io.kestra")] == ["a_key", "b_key"]
    request = parse_search([("filters[q][EQUALS]", "crm")], resource=Resource.KV_METADATA)
    assert [entry.key for entry in (await repo.kv.search(request)).results] == ["b_key"]
    everything = await repo.kv.search(parse_search([], resource=Resource.KV_METADATA))
    assert everything.total == 3


async def test_namespaces_are_derived_from_flows_and_kv(repo: Repositories) -> None:
    await repo.flows.save(flow("io.kestra.team", "alpha"))
    await repo.flows.save(flow("gone.away", "beta"))
    await repo.flows.delete("gone.away", "beta")
    await seed(repo, kv("company.data", "k"))

    everything = await repo.namespaces.search()
    assert everything.total == 6
    assert [n.id for n in everything.results] == [
        "company",
        "company.data",
        "io",
        "io.kestra",
        "io.kestra.team",
        "system",
    ]
    existing = await repo.namespaces.search(existing_only=True)
    assert [n.id for n in existing.results] == ["company.data", "io.kestra.team"]
    assert [n.id for n in (await repo.namespaces.search(q="KESTRA")).results] == [
        "io.kestra",
        "io.kestra.team",
    ]
    second = await repo.namespaces.search(page=Page(page=2, size=4))
    assert [n.id for n in second.results] == ["io.kestra.team", "system"] and second.total == 6
