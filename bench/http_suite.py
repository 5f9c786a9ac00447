"""Kestra's benchmark page (b01-b04) through HTTP on kestra-stream's three assemblies and, where the
workload allows, on real Kestra in the same run; prints every figure with the machine load beside it.

    .venv/bin/python bench/http_suite.py                                   # everything (~1 h)
    .venv/bin/python bench/http_suite.py --assemblies standalone --workloads b01 --rates 1000,4000
    .venv/bin/python bench/http_suite.py --warmup 5 --duration 20 --drain 20 --rates 1000   # quick

Per assembly (fresh processes, free ports, unique topic/index prefix) and workload, each rate is an
open-loop load: ``--warmup`` seconds, then ``--duration`` measured seconds, then at most ``--drain``
seconds for the window's executions to end. Printed per rate: offered, completed/min inside the
window, p50/p95/max latency (the execution's end date - the time its request was due), failed,
refused, unfinished, load average, CPU% per process, and on Kafka the indexer's lag.
``--py-spy DIR`` records each kestra-stream process of the assembly during the measured windows
(``pip install py-spy``), for profiling. Kafka/Elasticsearch: ``KESTRA_TEST_KAFKA_BOOTSTRAP`` and
``KESTRA_TEST_ES_URL`` (``source .infra/state/env``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from suite.assemblies import ASSEMBLIES, AUTH, Assembly, Infra, started
from suite.kestra_ref import RealKestra, real_kestra
from suite.lag import LagSampler
from suite.load import Phases, RateResult, Tracker, run_rate
from suite.machine import CpuWindow, shared_service_pids
from suite.workloads import B04, WORKLOADS, Submitter, Workload

Row = dict[str, Any]
GOALS = (
    "b01 >= 4,000/min sustained and p50 <= 0.3 s at 1,000/min; b02 >= 700/min; b03 <= 4 s; b04 >= 4,000/min"
)


def _create_flow(assembly: Assembly, source: str, timeout: float = 60.0) -> None:
    """``POST /flows``, retried on a 5xx for ``timeout`` s (the cluster's webserver may answer /ping
    before its repository client is ready)."""
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(
            assembly.base_url + "/api/v1/main/flows",
            data=source.encode(),
            headers={"Content-Type": "application/x-yaml", "Authorization": AUTH},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                return
        except urllib.error.HTTPError as error:
            body = error.read()[:300]
            if error.code < 500 or time.monotonic() > deadline:
                raise SystemExit(f"{assembly.name}: POST /flows answered {error.code}: {body!r}") from error
            print(f"   POST /flows answered {error.code} ({body!r}): retrying", flush=True)
            time.sleep(2)


def _flow_source(workload: Workload, assembly: Assembly, topic: str) -> str:
    if workload.name != "b04":
        return workload.source
    return B04.format(topic=topic, bootstrap=assembly.infra.kafka_bootstrap, group=f"{topic}-g")


def _create_topic(bootstrap: str, topic: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])[topic].result(30)


async def _ready(assembly: Assembly, workload: Workload, submitter: Submitter, timeout: float = 120) -> float:
    """One execution end to end (flow caches, group joins) before any rate; its latency."""
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(headers={"Authorization": AUTH}) as session:
        tracker = Tracker(base_url=assembly.base_url, workload=workload)
        while True:
            try:
                due = time.time()
                key = await submitter(session)
                tracker.sent[key] = due
                break
            except Exception as error:  # the webserver has not seen the flow yet
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"{assembly.name}/{workload.name}: no execution started: {error}"
                    ) from error
                await asyncio.sleep(0.5)
        if workload.kind == "kafka":
            submitter.close()
        stop = asyncio.Event()
        tracking = asyncio.create_task(tracker.run(session, stop))
        while key not in tracker.ended:
            assembly.check_alive()
            if time.monotonic() > deadline:
                stop.set()
                raise SystemExit(f"{assembly.name}/{workload.name}: the first execution never ended")
            await asyncio.sleep(0.2)
        stop.set()
        await tracking
        return tracker.ended[key].end - tracker.sent[key]


def _py_spy(assembly: Assembly, directory: Path, label: str, seconds: float) -> list[subprocess.Popen[bytes]]:
    directory.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
                or "py-spy",
                "record",
                "-p",
                str(pid),
                "-d",
                str(int(seconds)),
                "-r",
                "40",
                "-f",
                "raw",
                "-o",
                str(directory / f"{label}-{name}.txt"),
                "--nonblocking",
                "--threads",
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in assembly.pids.items()
    ]


def run_assembly(name: str, args: argparse.Namespace, workdir: Path, infra: Infra) -> list[Row]:
    rows: list[Row] = []
    phases = Phases(warmup=args.warmup, duration=args.duration, drain=args.drain)
    with started(name, infra=infra, workdir=workdir) as assembly:
        print(f"\n== {name}: {assembly.base_url} processes {assembly.pids}", flush=True)
        for workload in (WORKLOADS[w] for w in args.workloads):
            topic = f"{assembly.prefix or 'benchlocal' + os.urandom(4).hex() + '_'}events"
            if workload.kind == "kafka":
                _create_topic(infra.kafka_bootstrap, topic)
            _create_flow(assembly, _flow_source(workload, assembly, topic))
            first = asyncio.run(
                _ready(
                    assembly, workload, Submitter(workload, assembly.base_url, topic, infra.kafka_bootstrap)
                )
            )
            print(f"-- {workload.name}: first execution {first:.2f}s", flush=True)
            for rate in args.rates or workload.default_rates:
                pids = {**assembly.pids, "bench": os.getpid(), **shared_service_pids()}
                cpu = CpuWindow(pids)
                spies = (
                    _py_spy(
                        assembly,
                        Path(args.py_spy),
                        f"{name}-{workload.name}-{rate:g}",
                        args.warmup + args.duration,
                    )
                    if args.py_spy
                    else []
                )
                result, lag = asyncio.run(_measure(assembly, workload, rate, phases, cpu, topic))
                for spy in spies:
                    spy.wait(60)
                assembly.check_alive()
                machine = cpu.describe()
                print(
                    f"{name} {workload.name} {result.describe()}\n    {result.describe_stages()}"
                    f"\n    {machine}" + (f"\n    {lag}" if lag else ""),
                    flush=True,
                )
                rows.append(
                    {
                        "assembly": name,
                        "workload": workload.name,
                        "result": result,
                        "machine": machine,
                        "lag": lag,
                    }
                )
    return rows


async def _measure(
    assembly: Assembly, workload: Workload, rate: float, phases: Phases, cpu: CpuWindow, topic: str
) -> tuple[RateResult, str]:
    sampler = (
        LagSampler(bootstrap=assembly.infra.kafka_bootstrap, prefix=assembly.prefix)
        if assembly.prefix
        else None
    )
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop)) if sampler else None

    async def window() -> None:
        await asyncio.sleep(phases.warmup)
        cpu.start()
        await asyncio.sleep(phases.duration)
        cpu.stop()

    timing = asyncio.create_task(window())
    result = await run_rate(
        base_url=assembly.base_url,
        auth=AUTH,
        workload=workload,
        submitter=Submitter(workload, assembly.base_url, topic, assembly.infra.kafka_bootstrap),
        rate=rate,
        phases=phases,
    )
    await timing
    stop.set()
    if sampling:
        await sampling
    return result, sampler.describe() if sampler else ""


def run_kestra(args: argparse.Namespace, workdir: Path) -> list[Row]:
    """Its ceiling (1,000 b01 executions at once), then the rates in ascending order while it holds
    them: past its ceiling a rate only builds a backlog that takes the JVM minutes to drain."""
    rows: list[Row] = []
    with real_kestra(workdir) as kestra:
        if kestra is None:
            return rows
        print(f"\n== real Kestra 1.3.31 (embedded, no HTTP): {kestra.url}", flush=True)
        for workload in (WORKLOADS[w] for w in args.workloads):
            if not workload.kestra:
                print(f"-- {workload.name}: not on real Kestra (its harness has no Kafka plugin)")
                continue
            kestra.bench(workload.source, n=100)  # warm-up, as its bench.py does
            if workload.name == "b01":
                rows.append(_kestra_row(kestra, workload, "ceiling", n=1000))
            for rate in sorted(args.rates or workload.default_rates):
                n = max(int(rate * args.warmup / 60), 1)
                kestra.bench(workload.source, rate_per_min=rate, duration_s=args.warmup, n=n)
                row = _kestra_row(kestra, workload, rate, rate_per_min=rate, duration_s=args.duration)
                rows.append(row)
                if row["completed"] < 0.9 * rate:
                    print(f"   (real Kestra did not hold {rate:g}/min: higher rates skipped)")
                    break
    return rows


def _kestra_row(kestra: RealKestra, workload: Workload, rate: float | str, **params: Any) -> Row:
    cpu = CpuWindow({"kestra-jvm": kestra.process.pid, **shared_service_pids()})
    cpu.start()
    answer = kestra.bench(workload.source, **params)
    cpu.stop()
    latency = answer.get("latency_end_minus_submit_s", {})
    completed = answer.get("completed_in_window_per_min", answer.get("completed_per_min_overall", 0.0))
    states = answer.get("states", {})
    line = (
        f"kestra {workload.name} offered {rate}/min: completed {completed:.0f}/min"
        f"{' in window' if 'completed_in_window_per_min' in answer else ' overall (1,000 at once)'}, "
        f"p50 {latency.get('p50', float('nan')):.2f}s p95 {latency.get('p95', float('nan')):.2f}s "
        f"max {latency.get('max', float('nan')):.2f}s, states {states}"
    )
    machine = cpu.describe()
    print(f"{line}\n    {machine}", flush=True)
    return {
        "assembly": "kestra",
        "workload": workload.name,
        "rate": rate,
        "answer": answer,
        "completed": completed,
        "latency": latency,
        "machine": machine,
        "line": line,
    }


def summary(rows: list[Row]) -> None:
    print("\n== summary (markdown)\n")
    print(
        "| assembly | workload | offered/min | completed/min | p50 s | p95 s | max s "
        "| failed | unfinished | load, CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if row["assembly"] == "kestra":
            lat = row["latency"]
            print(
                f"| real Kestra (embedded) | {row['workload']} | {row['rate']} | {row['completed']:.0f} | "
                f"{lat.get('p50', 0):.2f} | {lat.get('p95', 0):.2f} | {lat.get('max', 0):.2f} | "
                f"{row['answer'].get('states', {})} | | {row['machine']} |"
            )
            continue
        r: RateResult = row["result"]
        print(
            f"| {row['assembly']} | {row['workload']} | {r.offered:g} | {r.completed_per_min:.0f} | "
            f"{r.percentile(0.5):.2f} | {r.percentile(0.95):.2f} | "
            f"{max(r.latencies, default=float('nan')):.2f} | "
            f"{r.failed + r.refused} | {r.unfinished} | {row['machine']} {row['lag']} |"
        )
    ceiling = next(
        (row["completed"] for row in rows if row["assembly"] == "kestra" and row["rate"] == "ceiling"), None
    )
    held_kestra: dict[str, float] = {}
    for row in rows:
        kestra_rate = row["assembly"] == "kestra" and row["rate"] != "ceiling"
        if kestra_rate and row["completed"] >= 0.95 * row["rate"]:
            held_kestra[row["workload"]] = max(held_kestra.get(row["workload"], 0.0), row["completed"])
    print(f"\ngoals: {GOALS}; b01 >= 2.5x real Kestra's embedded ceiling")
    for assembly in ASSEMBLIES:
        ours = [row["result"] for row in rows if row["assembly"] == assembly]
        if not ours:
            continue
        by: dict[str, list[RateResult]] = {}
        for row in rows:
            if row["assembly"] == assembly:
                by.setdefault(row["workload"], []).append(row["result"])
        for workload, results in sorted(by.items()):
            # sustained: completed >= 95 % of offered, nothing unfinished
            held = [r for r in results if r.unfinished == 0 and r.completed_per_min >= 0.95 * r.offered]
            best = max((r.completed_per_min for r in held), default=0.0)
            p50 = min((r.percentile(0.5) for r in results), default=float("nan"))
            text = f"{assembly} {workload}: sustained {best:.0f}/min, best p50 {p50:.2f}s"
            if workload == "b01" and ceiling:
                text += f", {best / ceiling:.2f}x real Kestra's ceiling ({ceiling:.0f}/min, 1,000 at once)"
            if held_kestra.get(workload):
                text += f", {best / held_kestra[workload]:.2f}x the best rate real Kestra held"
            print(text)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--assemblies",
        default="local,standalone,cluster,kestra",
        help="comma-separated: local, standalone, cluster, kestra",
    )
    parser.add_argument("--workloads", default="b01,b02,b03,b04", help="comma-separated: b01..b04")
    parser.add_argument(
        "--rates", default=None, help="executions/min, comma-separated (default: per workload)"
    )
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=60.0)
    parser.add_argument("--py-spy", default=None, help="directory for py-spy raw profiles of each process")
    args = parser.parse_args()
    args.workloads = [w for w in args.workloads.split(",") if w]
    args.rates = [float(r) for r in args.rates.split(",")] if args.rates else None
    infra = Infra.from_env()
    rows: list[Row] = []
    print(
        f"start {time.strftime('%Y-%m-%d %H:%M:%S')} load {os.getloadavg()} cores {os.cpu_count()}; {GOALS}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-http-") as directory:
        workdir = Path(directory)
        for name in args.assemblies.split(","):
            if name == "kestra":
                rows.extend(run_kestra(args, workdir))
            elif name in ASSEMBLIES:
                rows.extend(run_assembly(name, args, workdir, infra))
            else:
                raise SystemExit(f"unknown assembly {name!r}")
    summary(rows)


if __name__ == "__main__":
    main()
