"""Differential test: every corpus flow runs on kestra-stream (memory backend: all; Kafka +
Elasticsearch: all too, one standalone server) and its result is compared with the one recorded
from real Kestra 1.3.31 (``recorded/``, see ``record.py``): final state, each task run's state and
attempts (by taskId and value), outputs, inputs, labels, flow outputs, the messages of Log tasks
and the subflow executions. Ids, dates and ``kestra://`` URIs are normalised (corpus.normalise).
A deliberate difference (``expectations.yaml: differences``) asserts kestra-stream's documented
behaviour instead of Kestra's; ``xfail`` entries are known bugs owned by issue 10's other items.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from tests.api.api_backends import AUTH, REPO
from tests.compat.corpus import NAMESPACE, Entry, load, view

ENTRIES = load()
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED"}
WAIT_SECONDS = 180.0
CONCURRENCY = 8
YAML = {"Content-Type": "application/x-yaml"}


async def _get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        return await response.json() if response.status == 200 else None


async def _until(session: aiohttp.ClientSession, url: str, done: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    last = None
    while time.monotonic() < deadline:
        last = await _get(session, url)
        if last is not None and done(last):
            return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what}: not reached in {WAIT_SECONDS}s, last: {json.dumps(last)[:2000]}")


async def _run(session: aiohttp.ClientSession, base: str, entry: Entry) -> dict[str, Any]:
    api = base + "/api/v1/main"
    for source in entry.sources:
        async with session.post(api + "/flows", data=source, headers=YAML) as r:
            assert r.status == 200, f"{entry.name}: flow creation {r.status} {await r.text()}"
    form = aiohttp.FormData()
    for key, value in entry.inputs.items():
        form.add_field(key, value)
    async with session.post(
        f"{api}/executions/{NAMESPACE}/{entry.flow_id}", data=form if entry.inputs else None
    ) as r:
        assert r.status == 200, f"{entry.name}: execution {r.status} {await r.text()}"
        execution_id = (await r.json())["id"]
    execution = await _until(
        session, f"{api}/executions/{execution_id}", lambda e: e["state"]["current"] in TERMINAL, entry.name
    )
    recorded_logs = sum(1 for log in entry.recorded["logs"] if log.get("taskId") in entry.log_tasks)
    logs = await _until(
        session,
        f"{api}/logs/{execution_id}",
        lambda found: sum(1 for log in found if log.get("taskId") in entry.log_tasks) >= recorded_logs,
        f"{entry.name} logs",
    )
    ours = view(execution, logs, entry.log_tasks)
    ours["downstream"] = {}
    for child in entry.recorded.get("downstream", []):
        flow_id = child["flowId"]
        page = await _until(
            session,
            f"{api}/executions/search?namespace={NAMESPACE}&flowId={flow_id}",
            lambda p: p["total"] >= 1 and all(e["state"]["current"] in TERMINAL for e in p["results"]),
            f"{entry.name} subflow {flow_id}",
        )
        ours["downstream"][flow_id] = view(page["results"][0], [], frozenset())
    return ours


async def run_all(base: str, entries: list[Entry]) -> dict[str, Any]:
    """Every entry run at once (at most CONCURRENCY executions in flight): name → view or error."""
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(session: aiohttp.ClientSession, entry: Entry) -> Any:
        async with semaphore:
            try:
                return await _run(session, base, entry)
            except AssertionError as error:  # reported by that flow's test, not the whole run
                return error

    async with aiohttp.ClientSession(headers={"Authorization": AUTH}) as session:
        results = await asyncio.gather(*(one(session, entry) for entry in entries))
    return {entry.name: result for entry, result in zip(entries, results, strict=True)}


@pytest.fixture(scope="module")
def memory_results(compat_memory: str) -> dict[str, Any]:
    return asyncio.run(run_all(compat_memory, ENTRIES))


@pytest.fixture(scope="module")
def kafka_results(compat_kafka: str) -> dict[str, Any]:
    return asyncio.run(run_all(compat_kafka, ENTRIES))


def _params() -> list[Any]:
    return [
        pytest.param(
            entry,
            id=entry.name,
            marks=[pytest.mark.xfail(strict=True, reason=entry.xfail)] if entry.xfail else [],
        )
        for entry in ENTRIES
    ]


def _compare(entry: Entry, ours: Any) -> None:
    if isinstance(ours, BaseException):
        raise ours
    expected = entry.expected()
    note = f" (deliberate difference: {entry.differences})" if entry.differences else ""
    assert ours == expected, f"{entry.name}{note}"


def test_corpus_is_recorded_and_documented() -> None:
    assert len(ENTRIES) >= 60
    assert all(entry.recorded["engine"].startswith("kestra 1.3.31") for entry in ENTRIES)
    documented = (REPO / "docs" / "compatibility.md").read_text()
    missing = [entry.name for entry in ENTRIES if f"`{entry.name}`" not in documented]
    assert not missing, f"run `python tests/compat/report.py`: docs/compatibility.md lacks {missing}"
    section = documented.partition("## Deliberate differences")[2]
    undocumented = [entry.name for entry in ENTRIES if entry.differences and f"`{entry.name}`" not in section]
    assert not undocumented, f"deliberate differences missing from docs/compatibility.md: {undocumented}"


@pytest.mark.parametrize("entry", _params())
def test_memory(entry: Entry, memory_results: dict[str, Any]) -> None:
    _compare(entry, memory_results[entry.name])


@pytest.mark.kafka
@pytest.mark.elasticsearch
@pytest.mark.parametrize("entry", _params())
def test_kafka(entry: Entry, kafka_results: dict[str, Any]) -> None:
    _compare(entry, kafka_results[entry.name])
