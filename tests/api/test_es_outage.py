"""Issue 5's done-criterion: Elasticsearch stopped for 60 s while 200 executions run.

The engine never needs Elasticsearch: the executions all end SUCCESS while it is down (read from the
webserver's execution view, which follows ``execution-states``). Once it is back, the indexer (which
acknowledges only what Elasticsearch acknowledged, retrying with backoff meanwhile) catches up and
every execution is searchable with its final state and its logs.

This test starts its OWN Elasticsearch with ``deploy/infra.sh`` on a private state folder and free
ports (the download cache is shared: a warm start) so the shared services are never touched, and
always stops it (``down`` on that private state folder) at the end. It takes ~2-3 minutes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from api_backends import AUTH, REPO, _cli, _free_port, _wait_for_ping, standalone_env

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

EXECUTIONS = 200
OUTAGE = 60.0
INFRA = REPO / "deploy" / "infra.sh"


@dataclass(frozen=True)
class PrivateElasticsearch:
    state: Path
    port: int
    transport_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def infra(self, command: str, timeout: float = 300) -> None:
        env = dict(os.environ)
        env.update(
            {
                "KESTRA_INFRA_STATE": str(self.state),
                "ES_PORT": str(self.port),
                "ES_TRANSPORT_PORT": str(self.transport_port),
            }
        )
        done = subprocess.run(
            ["bash", str(INFRA), command, "es"], env=env, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, (
            f"deploy/infra.sh {command} es (state {self.state}) failed ({done.returncode}):\n"
            f"{done.stderr[-4000:]}"
        )

    def up(self) -> None:
        self.infra("up")

    def down(self) -> None:
        self.infra("down")


@pytest.fixture
def private_es() -> Iterator[PrivateElasticsearch]:
    # World-traversable: as root, infra.sh runs Elasticsearch as its own system user.
    state = Path(tempfile.mkdtemp(prefix="kestra-es-outage-"))
    state.chmod(0o755)
    es = PrivateElasticsearch(state=state, port=_free_port(), transport_port=_free_port())
    try:
        es.up()
        yield es
    finally:
        try:
            es.down()
        finally:
            shutil.rmtree(state, ignore_errors=True)


def _drop_topics(prefix: str, kafka_bootstrap: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    topics = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if topics:
        for future in admin.delete_topics(topics, operation_timeout=30).values():
            future.result(timeout=30)


@pytest.fixture
def standalone(
    private_es: PrivateElasticsearch, kafka_bootstrap: str, tmp_path: Path
) -> Iterator[tuple[str, PrivateElasticsearch]]:
    prefix = f"esout{uuid.uuid4().hex[:8]}_"
    port, management = _free_port(), _free_port()
    env = standalone_env(prefix, tmp_path / "storage", management, kafka_bootstrap, private_es.url)
    subprocess.run([*_cli(), "indexes", "apply"], env=env, check=True, capture_output=True, timeout=120)
    log = tmp_path / "standalone.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*_cli(), "server", "standalone", "--port", str(port), "--worker-thread", "8"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_ping(base, process, log)
        yield base, private_es
        assert process.poll() is None, f"the standalone server died:\n{log.read_text()[-4000:]}"
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        _drop_topics(prefix, kafka_bootstrap)


FLOW = """id: tiny
namespace: {namespace}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "tiny {{{{ execution.id }}}}"
"""


async def _json(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with session.request(method, url, **kwargs) as response:
        text = await response.text()
        try:
            body = await response.json(content_type=None) if text else None
        except ValueError:
            body = text
        return response.status, body


async def _until(
    what: str, timeout: float, check: Callable[[], Awaitable[tuple[bool, str]]], interval: float = 1.0
) -> None:
    deadline = time.monotonic() + timeout
    detail = "never checked"
    while time.monotonic() < deadline:
        done, detail = await check()
        if done:
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f}s ({detail})")


async def test_elasticsearch_down_60s_while_200_executions_run(
    standalone: tuple[str, PrivateElasticsearch],
) -> None:
    base, es = standalone
    api = base + "/api/v1/main"
    namespace = "esout" + uuid.uuid4().hex[:8]
    async with aiohttp.ClientSession(
        headers={"Authorization": AUTH}, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        status, body = await _json(
            session,
            "POST",
            f"{api}/flows",
            data=FLOW.format(namespace=namespace),
            headers={"Content-Type": "application/x-yaml"},
        )
        assert status == 200, f"flow creation: {status} {body}"

        es.down()
        stopped = time.monotonic()

        semaphore = asyncio.Semaphore(20)

        async def submit() -> str:
            async with semaphore:
                status, body = await _json(session, "POST", f"{api}/executions/{namespace}/tiny")
                assert status == 200, f"execution submitted while Elasticsearch is down: {status} {body}"
                return str(body["id"])

        ids = await asyncio.gather(*(submit() for _ in range(EXECUTIONS)))
        assert len(set(ids)) == EXECUTIONS

        states: dict[str, str] = {}

        async def all_success() -> tuple[bool, str]:
            async def state(execution_id: str) -> None:
                async with semaphore:
                    status, body = await _json(session, "GET", f"{api}/executions/{execution_id}")
                if status == 200:
                    states[execution_id] = body["state"]["current"]

            await asyncio.gather(*(state(i) for i in ids if states.get(i) != "SUCCESS"))
            pending = [i for i in ids if states.get(i) != "SUCCESS"]
            others = {i: states[i] for i in pending if i in states and states[i] in ("FAILED", "KILLED")}
            assert not others, f"executions ended badly while Elasticsearch was down: {others}"
            sample = [(i, states.get(i)) for i in pending[:5]]
            return not pending, f"{len(pending)} not SUCCESS yet, e.g. {sample}"

        # The engine does not need Elasticsearch: all 200 end while it is still down.
        await _until("200 executions SUCCESS with Elasticsearch down", OUTAGE - 5, all_success)
        assert time.monotonic() - stopped < OUTAGE, "the executions ended only after the outage window"
        await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
        status, _ = await _json(session, "GET", f"{api}/executions/search?size=1")
        assert status >= 500, f"the search answered {status} although Elasticsearch is down"

        es.up()  # same private state folder: the indices (and what was indexed before) are kept

        wanted = set(ids)

        async def all_indexed() -> tuple[bool, str]:
            status, body = await _json(
                session,
                "GET",
                f"{api}/executions/search?filters[namespace][EQUALS]={namespace}&size=1000",
            )
            if status != 200:
                return False, f"search answered {status}: {str(body)[:300]}"
            found = {e["id"]: e["state"]["current"] for e in body["results"]}
            missing = wanted - found.keys()
            not_final = {i: s for i, s in found.items() if i in wanted and s != "SUCCESS"}
            return not missing and not not_final, (
                f"{len(missing)} executions not searchable, {len(not_final)} without their final state "
                f"(e.g. {list(not_final.items())[:3]})"
            )

        await _until("every execution searchable with state SUCCESS", 240, all_indexed, interval=2.0)

        async def all_logged() -> tuple[bool, str]:
            logged: set[str] = set()
            page = 1
            while True:
                status, body = await _json(
                    session,
                    "GET",
                    f"{api}/logs/search?filters[namespace][EQUALS]={namespace}&size=1000&page={page}",
                )
                if status != 200:
                    return False, f"log search answered {status}: {str(body)[:300]}"
                logged.update(
                    line["executionId"] for line in body["results"] if line["message"].startswith("tiny ")
                )
                if page * 1000 >= body["total"]:
                    break
                page += 1
            missing = wanted - logged
            sample = sorted(missing)[:3]
            return not missing, f"{len(missing)} executions without their log line, e.g. {sample}"

        await _until("every execution's log searchable", 120, all_logged, interval=2.0)
