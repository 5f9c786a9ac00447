"""The open-loop load of one rate and what it measures.

Requests go out on a fixed schedule (``60 / rate`` apart) whatever the answers do: a slow server
does not slow the load. Latency is the execution's own ``state.endDate`` (the executor's clock, the
same machine) minus the time the request was due, so how fast the tracker notices an execution
does not bias it. The tracker polls ``GET /executions/search`` (terminal states, flow, ``startDate``
>= the oldest pending request) about twice a second: a few dozen documents per call whatever the rate.
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


@dataclass
class Tracker:
    base_url: str
    workload: Workload
    interval: float = 0.5
    sent: dict[str, float] = field(default_factory=dict)
    ended: dict[str, Outcome] = field(default_factory=dict)
    searches: int = 0

    def pending(self) -> list[float]:
        return [due for key, due in self.sent.items() if key not in self.ended]

    async def run(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        sweep_at = time.monotonic() + 10
        while not stop.is_set():
            pending = self.pending()
            if pending:
                now = time.time()
                recent = [due for due in pending if now - due < 30]
                # every 10 s also the old ones (an execution far behind the rest)
                if time.monotonic() >= sweep_at or not recent:
                    sweep_at = time.monotonic() + 10
                    await self._search(session, min(pending) - 2, pages=10)
                else:
                    await self._search(session, min(recent) - 2, pages=5)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def _search(self, session: aiohttp.ClientSession, since: float, *, pages: int) -> None:
        params: list[tuple[str, str]] = [
            ("namespace", NAMESPACE),
            ("flowId", self.workload.flow_id),
            ("startDate", datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
            ("size", str(PAGE)),
            ("sort", "state.startDate:asc"),
            *(("state", state) for state in TERMINAL),
        ]
        for page in range(1, pages + 1):
            self.searches += 1
            async with session.get(
                f"{self.base_url}/api/v1/main/executions/search", params=[*params, ("page", str(page))]
            ) as response:
                if response.status != 200:
                    return
                results = orjson.loads(await response.read())["results"]
            for execution in results:
                key = self.workload.key_of(execution)
                if key is not None and key not in self.ended:
                    self.ended[key] = Outcome(end=_end(execution), state=execution["state"]["current"])
            if len(results) < PAGE:
                return


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
    drain_seconds: float = 0.0

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
        tracking = asyncio.create_task(tracker.run(session, stop))
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
        if outcome.state != "SUCCESS":
            result.failed += 1
    result.searches = tracker.searches
    return result
