"""The open-loop load of one rate and what it measures.

Requests go out on a fixed schedule (``60 / rate`` apart) whatever the answers do: a slow server
does not slow the load. Latency is the execution's own ``state.endDate`` (the executor's clock, the
same machine) minus the time the request was due, so how fast the tracker notices an execution
does not bias it. So the executions are looked up only once the load has stopped, during the drain:
``GET /executions/search`` pages (terminal states, the flow, ``startDate`` >= the oldest pending
request, a cursor on ``startDate``), each execution read about once, nothing during the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson

from suite.workloads import NAMESPACE, Submitter, Workload

TERMINAL = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED")
PAGE = 1000


@dataclass(frozen=True, kw_only=True)
class Phases:
    warmup: float = 15.0
    duration: float = 60.0
    drain: float = 60.0


@dataclass
class Outcome:
    end: float
    state: str
    stages: dict[str, float]


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def stages(execution: dict[str, Any]) -> dict[str, float]:
    """Where an execution's time went, from its own histories (seconds; the request's due time is
    added by the caller as ``accept``): ``start`` CREATED -> the executor's first RUNNING,
    ``dispatch`` task run CREATED -> its attempt RUNNING (worker-jobs and the worker's queue), ``run``
    attempt RUNNING -> its end, ``result`` task run end -> the executor's next step (the next task
    run's CREATED, or the execution's end), summed over the task runs."""
    histories = execution["state"]["histories"]
    created = _stamp(histories[0]["date"])
    running = next((_stamp(h["date"]) for h in histories if h["state"] == "RUNNING"), created)
    out = {"created": created, "start": running - created, "dispatch": 0.0, "run": 0.0, "result": 0.0}
    runs = sorted(
        (run for run in execution.get("taskRunList") or [] if run.get("attempts")),
        key=lambda run: run["state"]["histories"][0]["date"],
    )
    ends: list[float] = []
    for run in runs:
        attempt = run["attempts"][-1]["state"]["histories"]
        run_created = _stamp(run["state"]["histories"][0]["date"])
        started = next((_stamp(h["date"]) for h in attempt if h["state"] == "RUNNING"), run_created)
        ended = _stamp(attempt[-1]["date"])
        out["dispatch"] += max(started - run_created, 0.0)
        out["run"] += max(ended - started, 0.0)
        ends.append(ended)
    followers = [_stamp(run["state"]["histories"][0]["date"]) for run in runs[1:]] + [_end(execution)]
    out["result"] = sum(max(after - end, 0.0) for end, after in zip(ends, followers, strict=False))
    return out


@dataclass
class Tracker:
    base_url: str
    workload: Workload
    interval: float = 0.5
    sent: dict[str, float] = field(default_factory=dict)
    ended: dict[str, Outcome] = field(default_factory=dict)
    searches: int = 0
    documents: int = 0

    def pending(self) -> list[float]:
        return [due for key, due in self.sent.items() if key not in self.ended]

    async def run(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        """Until ``stop``: every terminal execution started since the oldest pending request, page
        after page (a ``startDate`` cursor), then again half a second later for what is left."""
        while not stop.is_set():
            pending = self.pending()
            if pending:
                await self._sweep(session, min(pending) - 2)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def _sweep(self, session: aiohttp.ClientSession, since: float, pages: int = 50) -> None:
        for _ in range(pages):
            stamp = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            params = [
                ("filters[namespace][EQUALS]", NAMESPACE),
                ("filters[flowId][EQUALS]", self.workload.flow_id),
                ("filters[state][IN]", ",".join(TERMINAL)),
                ("filters[startDate][GREATER_THAN_OR_EQUAL_TO]", stamp),
                ("size", str(PAGE)),
                ("sort", "state.startDate:asc"),
            ]
            self.searches += 1
            async with session.get(
                f"{self.base_url}/api/v1/main/executions/search", params=params
            ) as response:
                if response.status != 200:
                    return
                results = orjson.loads(await response.read())["results"]
            self.documents += len(results)
            for execution in results:
                key = self.workload.key_of(execution)
                if key is not None and key not in self.ended:
                    self.ended[key] = Outcome(
                        end=_end(execution), state=execution["state"]["current"], stages=stages(execution)
                    )
            if len(results) < PAGE:
                return
            since = _stamp(results[-1]["state"]["startDate"])


def _end(execution: dict[str, Any]) -> float:
    state = execution["state"]
    stamp = state.get("endDate") or state["histories"][-1]["date"]
    return datetime.fromisoformat(stamp).timestamp()


@dataclass
class RateResult:
    offered: float
    sent: int = 0
    completed_per_min: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    refused: int = 0
    unfinished: int = 0
    searches: int = 0
    documents: int = 0
    drain_seconds: float = 0.0
    stages: dict[str, list[float]] = field(default_factory=dict)

    def describe_stages(self) -> str:
        parts = []
        for name in ("accept", "start", "dispatch", "run", "result"):
            values = sorted(self.stages.get(name, []))
            if values:
                p95 = values[max(math.ceil(0.95 * len(values)) - 1, 0)]
                parts.append(f"{name} {values[len(values) // 2]:.3f}/{p95:.3f}")
        return (
            "stages p50/p95 s: "
            + ", ".join(parts)
            + f"; tracker {self.searches} searches, {self.documents} documents"
        )

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)  # nearest rank
        return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]

    def describe(self) -> str:
        p50 = self.percentile(0.5)
        top = max(self.latencies) if self.latencies else float("nan")
        return (
            f"offered {self.offered:g}/min: completed {self.completed_per_min:.0f}/min in window, "
            f"p50 {p50:.2f}s p95 {self.percentile(0.95):.2f}s max {top:.2f}s, "
            f"failed {self.failed} refused {self.refused} unfinished {self.unfinished} "
            f"(of {self.sent} sent in window)"
        )


async def run_rate(
    *, base_url: str, auth: str, workload: Workload, submitter: Submitter, rate: float, phases: Phases
) -> RateResult:
    """One rate: warm-up then the measured window, then a bounded drain of the window's executions."""
    result = RateResult(offered=rate)
    interval = 60.0 / rate
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(headers={"Authorization": auth}, connector=connector) as session:
        tracker = Tracker(base_url=base_url, workload=workload)
        stop = asyncio.Event()
        started = time.time()
        window = (started + phases.warmup, started + phases.warmup + phases.duration)
        measured: set[str] = set()
        requests: set[asyncio.Task[None]] = set()

        async def one(due: float) -> None:
            try:
                key = await submitter(session)
            except Exception:
                if window[0] <= due < window[1]:
                    result.refused += 1
                return
            tracker.sent[key] = due
            if window[0] <= due < window[1]:
                measured.add(key)

        index = 0
        while True:
            due = started + index * interval
            if due >= window[1]:
                break
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(due))
            requests.add(task)
            task.add_done_callback(requests.discard)
            index += 1
        if requests:
            await asyncio.wait(requests, timeout=phases.drain)
        submitter.close()
        # found only now: the measured window carries no cost of the measurement
        tracking = asyncio.create_task(tracker.run(session, stop))
        drain_start = time.time()
        while time.time() - drain_start < phases.drain and any(k not in tracker.ended for k in measured):
            await asyncio.sleep(0.5)
        result.drain_seconds = time.time() - drain_start
        stop.set()
        await tracking
    result.sent = len(measured) + result.refused
    in_window = sum(
        1 for k in tracker.sent if k in tracker.ended and window[0] <= tracker.ended[k].end < window[1]
    )
    result.completed_per_min = in_window / (phases.duration / 60.0)
    for key in measured:
        outcome = tracker.ended.get(key)
        if outcome is None:
            result.unfinished += 1
            continue
        result.latencies.append(outcome.end - tracker.sent[key])
        for name, value in outcome.stages.items():
            if name != "created":
                result.stages.setdefault(name, []).append(value)
        result.stages.setdefault("accept", []).append(max(outcome.stages["created"] - tracker.sent[key], 0.0))
        if outcome.state != "SUCCESS":
            result.failed += 1
    result.searches = tracker.searches
    result.documents = tracker.documents
    return result
