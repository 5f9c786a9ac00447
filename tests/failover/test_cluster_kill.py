"""Issue 12's failover criterion: SIGKILL each role of the multi-process cluster (webserver, executor,
two workers, scheduler, indexer on Kafka + Elasticsearch) during a benchmark-1 run through the webhook at
1,000 executions/min, and restart it at once, as a supervisor would. Every execution the webserver
accepted ends SUCCESS, no task run appears twice in its state, the executor's worker jobs are
exactly-once, every-second schedules fire each second once; the time to recovery is printed, not
asserted (docs/benchmarks.md records it).
"""

from __future__ import annotations

import itertools
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator

import orjson
import pytest

from kestra_stream.executor.messages import NewExecution, WorkerJob, execution_message_from_json
from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.models import Execution, StateType
from kestra_stream.queue import KafkaQueue, TopicRef, worker_jobs_topic
from tests.api.api_backends import AUTH
from tests.failover.cluster import ROLES, Cluster, StateFollower, WebhookLoad, new_cluster

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

PER_MINUTE = 1000
KILL_AFTER = 8
LOAD_AFTER_RECOVERY = 8
"""Seconds of load once the restarted role is back (a loaded machine restarts slowly)."""
NAMESPACE = "failover"

B01 = f"""id: b01
namespace: {NAMESPACE}
tasks:
  - id: concatenate
    type: io.kestra.plugin.core.output.OutputValues
    values:
      greeting: "Hello {{{{ trigger.body.name }}}}"
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ outputs.concatenate.values.greeting }}}}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: b01key
"""
TICK = f"""id: tick
namespace: {NAMESPACE}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.date }}}}"
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
"""


def _request(cluster: Cluster, method: str, path: str, body: bytes | None = None) -> object:
    request = urllib.request.Request(
        cluster.base_url + path,
        data=body,
        method=method,
        headers={"Authorization": AUTH, "Content-Type": "application/x-yaml"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return orjson.loads(response.read())


def _wait_for_ping(cluster: Cluster, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(cluster.base_url + "/ping", timeout=1) as response:
                if response.read() == b"pong":
                    return time.time()
        except OSError:
            time.sleep(0.1)
    pytest.fail("webserver did not answer /ping:\n" + cluster.log_tail("webserver"))


@pytest.fixture(scope="module")
def cluster(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    made = new_cluster(kafka_bootstrap, es_url, tmp_path_factory.mktemp("cluster"))
    try:
        for name in ROLES:
            made.start(name)
        _wait_for_ping(made)
        for source in (B01, TICK):
            _request(made, "POST", "/api/v1/main/flows", source.encode())
        _warm_up(made)
        yield made
    finally:
        made.stop()


def _warm_up(cluster: Cluster) -> None:
    """Every role up and the whole path served once: a few executions through the webhook end."""
    queue = cluster.queue()
    follower = StateFollower(queue)
    try:
        load = WebhookLoad(url=_webhook_url(cluster), per_minute=600, seconds=3)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            load.start()
            load.join(60)
            if load.accepted and _wait_ended(follower, load.accepted, 30):
                return
            load = WebhookLoad(url=_webhook_url(cluster), per_minute=600, seconds=3)
        pytest.fail("the cluster never ran an execution:\n" + cluster.log_tail("executor"))
    finally:
        follower.close()
        queue.close()


def _webhook_url(cluster: Cluster) -> str:
    return f"{cluster.base_url}/api/v1/main/executions/webhook/{NAMESPACE}/b01/b01key"


def _wait_ended(follower: StateFollower, ids: list[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if follower.ended(ids) == len(ids):
            return True
        time.sleep(0.2)
    return False


def _final_states(queue: KafkaQueue) -> dict[str, Execution]:
    latest = {}
    for record in queue.read_partitions(
        TopicRef("execution-states"), range(queue.partitions("execution-states"))
    ):
        if record.value is not None:
            execution = execution_from_bytes(record.value)
            latest[execution.id] = execution
    return latest


def _worst_gap(stamps: list[float], start: float, end: float) -> float:
    window = [start, *(s for s in stamps if start <= s <= end), end]
    return max(b - a for a, b in itertools.pairwise(sorted(window)))


def _ticks(queue: KafkaQueue, since: float) -> list[tuple[str, float]]:
    """(scheduled date, produced at) of the `tick` flow's executions created after ``since``."""
    found = []
    for record in queue.read_partitions(TopicRef("executions"), range(queue.partitions("executions"))):
        if record.value is None or record.timestamp < since:
            continue
        message = execution_message_from_json(record.value)
        if isinstance(message, NewExecution) and message.execution.flow_id == "tick":
            trigger = message.execution.trigger
            assert trigger is not None and trigger.variables is not None
            found.append((str(trigger.variables["date"]), record.timestamp))
    return found


@pytest.mark.parametrize("role", ["executor", "worker1", "scheduler", "indexer", "webserver"])
def test_sigkill_and_restart_loses_and_duplicates_nothing(cluster: Cluster, role: str) -> None:
    queue = cluster.queue()
    follower = StateFollower(queue)
    try:
        assert all(cluster.alive().values()), cluster.alive()
        started = time.time()
        load = WebhookLoad(url=_webhook_url(cluster), per_minute=PER_MINUTE)
        load.start()
        time.sleep(KILL_AFTER)
        cluster.kill(role)
        killed_at = time.time()
        cluster.start(role)
        restarted_at = time.time()
        back_at = _wait_for_ping(cluster) if role == "webserver" else restarted_at
        time.sleep(LOAD_AFTER_RECOVERY)
        load.stop()
        load.join(60)
        accepted = load.accepted
        after = [sent for sent in load.sent if sent.at > back_at + 1 and sent.execution_id is not None]
        assert len(accepted) >= 100 and after, f"{len(accepted)} accepted, {len(after)} after the restart"
        assert _wait_ended(follower, accepted, 120), (
            f"{follower.ended(accepted)}/{len(accepted)} ended:\n" + cluster.log_tail(role)
        )
        ended = time.time()
        states = _final_states(queue)

        for execution_id in accepted:
            execution = states[execution_id]
            assert execution.state.current is StateType.SUCCESS, (execution_id, execution.state.current)
            task_ids = [run.task_id for run in execution.task_runs()]
            assert task_ids == ["concatenate", "hello"], (execution_id, task_ids)

        if role != "worker1":  # a killed worker's running jobs are resubmitted: a second job is expected
            jobs = Counter(
                WorkerJob.from_json(record.value).task_run_id
                for record in queue.read_partitions(
                    worker_jobs_topic(None), range(queue.partitions("worker-jobs"))
                )
                if record.value is not None and record.timestamp >= started
            )
            assert {run: n for run, n in jobs.items() if n > 1} == {}

        completions = follower.completions()
        gap = _worst_gap(completions, killed_at - 1, min(ended, killed_at + 30))
        rejected = len(load.sent) - len(accepted)
        detail = f"{role}: {len(accepted)} accepted, {rejected} refused while down, all SUCCESS; "
        if role == "webserver":
            detail += f"answering again {back_at - killed_at:.1f}s after the kill"
        else:
            detail += f"longest pause between two completions around the kill {gap:.1f}s"

        if role == "scheduler":
            ticks = _ticks(queue, killed_at - 10)
            dates = [date for date, _ in ticks]
            assert len(dates) == len(set(dates)), "a schedule date fired twice"
            seconds = sorted(time.mktime(time.strptime(date, "%Y-%m-%dT%H:%M:%SZ")) for date in dates)
            assert all(b - a == 1 for a, b in itertools.pairwise(seconds)), "a second was skipped"
            produced = sorted(stamp for _, stamp in ticks)
            tick_gap = _worst_gap(produced, killed_at - 1, killed_at + 10)
            detail += f"; ticks: {len(dates)}, longest gap {tick_gap:.1f}s"

        if role == "indexer":
            deadline = time.monotonic() + 60
            while True:
                found = _request(
                    cluster,
                    "GET",
                    f"/api/v1/main/executions/search?namespace={NAMESPACE}&flowId=b01&size=1&state=SUCCESS",
                )
                total = int(found["total"])  # type: ignore[index]
                if total >= len(accepted) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert total >= len(accepted), f"{total} indexed of {len(accepted)}"
            detail += f"; all searchable {time.time() - ended:.1f}s after the last ended"
        print(detail)
    finally:
        follower.close()
        queue.close()
