"""``io.kestra.plugin.core.http.Trigger`` against a local aiohttp server, run by the scheduler: one
execution per satisfied evaluation with ``trigger.body/code/headers``, never two evaluations of one
trigger at once (the trigger's ``evaluateRunningDate`` lock), ``responseCondition``."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from kestra_stream.config import Config
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.scheduler.messages import TRIGGER_RESULTS, WorkerTriggerResult
from kestra_stream.scheduler.service import Scheduler, SchedulerOptions
from kestra_stream.server import Server, ServerPlan, ServerSettings
from tests.scheduler.shell import ExecutionsReader, publish

FLOW = """
id: {flow_id}
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.body }}}}"
triggers:
  - id: http
    type: io.kestra.plugin.core.http.Trigger
    uri: "{base}/{path}"
    method: POST
    headers:
      X-Flow: "{{{{ flow.id }}}}"
    body: '{{"from": "{{{{ flow.id }}}}"}}'
    interval: PT0.2S
    allowConcurrent: true
{extra}
"""


@dataclass
class Endpoint:
    """Counts calls and the most calls in flight at once; each answer takes ``delay`` seconds."""

    delay: float
    status: int = 200
    calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    bodies: list[bytes] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.bodies.append(await request.read())
        self.headers.append(request.headers.get("X-Flow", ""))
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return web.json_response({"n": self.calls}, status=self.status, headers={"X-Served": "yes"})


class Site:
    def __init__(self, endpoints: dict[str, Endpoint]) -> None:
        app = web.Application()
        for path, endpoint in endpoints.items():
            app.router.add_post("/" + path, endpoint.handle)
        self._runner = web.AppRunner(app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._runner.setup(), self._loop).result(10)
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        asyncio.run_coroutine_threadsafe(site.start(), self._loop).result(10)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def queue() -> Iterator[MemoryQueue]:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=4))
    yield queue
    queue.close()


def test_http_trigger_polls_one_evaluation_at_a_time(queue: MemoryQueue) -> None:
    slow, failing, created = Endpoint(delay=0.6), Endpoint(delay=0.0, status=500), Endpoint(delay=0.0)
    site = Site({"slow": slow, "failing": failing, "created": created})
    flows = {
        "slow": "",
        "failing": "",
        # only a 201 starts an execution: this endpoint answers 200
        "created": '    responseCondition: "{{ response.statusCode == 201 }}"',
    }
    for path, extra in flows.items():
        publish(queue, FLOW.format(flow_id=path, base=site.base, path=path, extra=extra), flow_id=path)
    scheduler = Scheduler(
        queue=queue, options=SchedulerOptions(instance_id="s1", tick_interval=0.1, poll_timeout=0.01)
    )
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()
    reader = ExecutionsReader(queue)
    try:
        reader.wait_for(lambda executions: len(executions) >= 4, timeout=30)
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(30)
        site.close()
    executions = reader.read()
    assert {message.execution.flow_id for message in executions} == {"slow"}
    assert len({message.execution.id for message in executions}) == len(executions)
    assert slow.max_in_flight == 1, "two evaluations of one trigger at once"
    # interval 0.2 s but each answer takes 0.6 s: the next evaluation waits for the previous result
    assert len(executions) <= slow.calls
    variables = executions[0].execution.trigger.variables  # type: ignore[union-attr]
    assert variables is not None
    assert variables["code"] == 200
    assert orjson.loads(variables["body"]) == {"n": 1}
    assert variables["headers"]["x-served"] == ["yes"]
    assert variables["uri"] == f"{site.base}/slow"
    assert slow.bodies[0] == b'{"from": "slow"}' and slow.headers[0] == "slow"
    assert failing.calls >= 2 and created.calls >= 2  # evaluated, but their condition never held


def test_http_trigger_evaluated_by_the_worker(queue: MemoryQueue, tmp_path: Path) -> None:
    """In a server, the scheduler sends the evaluations to ``worker-jobs``; the worker answers on
    ``trigger-results`` (its id in the result), still one evaluation at a time."""
    slow = Endpoint(delay=0.4)
    site = Site({"slow": slow})
    publish(queue, FLOW.format(flow_id="slow", base=site.base, path="slow", extra=""), flow_id="slow")
    config = Config().with_overrides({"kestra.storage.local.base-path": str(tmp_path / "storage")})
    server = Server(
        config=config,
        plan=ServerPlan(management=False, worker_threads=4, scheduler=True),
        queue=queue,
        settings=ServerSettings(heartbeat_interval=0.5),
    )
    server.start()
    reader = ExecutionsReader(queue)
    results = queue.broadcast_reader(topic=TRIGGER_RESULTS, start="beginning")
    try:
        reader.wait_for(lambda executions: len(executions) >= 3, timeout=30)
        evaluated_by = {
            WorkerTriggerResult.from_json(record.value).worker_id
            for record in results.poll(1000, 0.5)
            if record.value is not None
        }
    finally:
        results.close()
        server.stop()
        site.close()
    assert evaluated_by == {server.instance_id}
    assert slow.max_in_flight == 1
