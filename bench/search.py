"""Search latency of the Elasticsearch repository on 100,000 executions.

    python bench/search.py [--es http://127.0.0.1:9200] [--executions 100000] [--queries 200] [--keep]

Indexes synthetic executions (the indexer's bulk path, external versions) under a throw-away index
prefix, then times the executions list's first page (25 rows) filtered by namespace and state and
sorted by start date, newest first, through the whole repository path (query-string parsing, query
building, the HTTP round trip, decoding into ``Execution`` models). Prints p50/p95/max.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch, Elasticsearch

from kestra_stream.config import Config
from kestra_stream.indexes.apply import IndexApplyOptions, apply_indexes
from kestra_stream.indexes.catalog import load_index_catalog
from kestra_stream.repository import ElasticsearchRepository, IndexKey, Resource, Upsert, parse_search
from kestra_stream.repository.documents import execution_document

NAMESPACES = [f"company.team{team}.project{project}" for team in range(10) for project in range(5)]
STATES = (
    ["SUCCESS"] * 70 + ["FAILED"] * 15 + ["WARNING"] * 5 + ["RUNNING"] * 5 + ["KILLED"] * 3 + ["CREATED"] * 2
)
START = datetime(2026, 10, 1, tzinfo=UTC)


def synthetic(number: int, rng: random.Random) -> dict[str, Any]:
    started = START + timedelta(seconds=rng.randrange(30 * 86_400))
    state = rng.choice(STATES)
    histories = [{"state": "CREATED", "date": started.isoformat().replace("+00:00", "Z")}]
    duration = rng.uniform(0.2, 120.0)
    if state != "CREATED":
        ended = started + timedelta(seconds=duration)
        histories.append({"state": state, "date": ended.isoformat().replace("+00:00", "Z")})
    namespace = rng.choice(NAMESPACES)
    flow_id = f"flow{rng.randrange(20)}"
    return {
        "id": f"bench{number:07d}",
        "namespace": namespace,
        "flowId": flow_id,
        "flowRevision": 1,
        "state": {
            "current": state,
            "histories": histories,
            "startDate": histories[0]["date"],
            **({"endDate": histories[-1]["date"]} if len(histories) > 1 else {}),
            "duration": f"PT{duration:.3f}S",
        },
        "labels": [{"key": "env", "value": rng.choice(["prod", "dev"])}],
        "taskRunList": [
            {
                "id": f"tr{number}",
                "taskId": "log",
                "state": {"current": state, "histories": histories},
                "executionId": f"bench{number:07d}",
                "namespace": namespace,
                "flowId": flow_id,
            }
        ],
        "deleted": False,
    }


async def index(repo: ElasticsearchRepository, count: int, chunk: int) -> float:
    rng = random.Random(42)
    started = time.perf_counter()
    for first in range(0, count, chunk):
        ops = []
        for number in range(first, min(first + chunk, count)):
            document = execution_document(synthetic(number, rng))
            ops.append(Upsert(index=IndexKey.EXECUTIONS, doc_id=document["id"], document=document, version=1))
        outcome = await repo.writer.bulk(ops)
        assert not outcome.retry and not outcome.rejected, outcome.rejected[:1]
    await repo.writer.refresh()
    return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(repo: ElasticsearchRepository, queries: int) -> dict[str, list[float]]:
    rng = random.Random(7)
    cases = {
        "namespace EQUALS + state IN": lambda ns: [
            ("filters[namespace][EQUALS]", ns),
            ("filters[state][IN]", "FAILED,WARNING"),
        ],
        "namespace PREFIX + state EQUALS": lambda ns: [
            ("filters[namespace][PREFIX]", ns.rsplit(".", 1)[0]),
            ("filters[state][EQUALS]", "SUCCESS"),
        ],
    }
    timings: dict[str, list[float]] = {}
    for name, params in cases.items():
        for _ in range(20):  # warm up caches and connections
            request = parse_search(
                [*params(rng.choice(NAMESPACES)), ("size", "25")], resource=Resource.EXECUTION
            )
            await repo.executions.search(request)
        samples = []
        for _ in range(queries):
            pairs = [*params(rng.choice(NAMESPACES)), ("sort", "state.startDate:desc"), ("size", "25")]
            started = time.perf_counter()
            page = await repo.executions.search(parse_search(pairs, resource=Resource.EXECUTION))
            samples.append(time.perf_counter() - started)
            assert page.results and page.total >= len(page.results)
        timings[name] = samples
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--es", default="http://127.0.0.1:9200")
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="keep the indices (prefix printed)")
    args = parser.parse_args()

    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    catalog = load_index_catalog(
        Config().with_overrides({"kestra.elasticsearch.defaults.indice-prefix": prefix})
    )
    admin = Elasticsearch(args.es, request_timeout=60)
    apply_indexes(catalog, admin, IndexApplyOptions())
    repo = ElasticsearchRepository(client=AsyncElasticsearch(args.es, request_timeout=60), catalog=catalog)
    try:
        seconds = await index(repo, args.executions, args.chunk)
        print(f"indexed {args.executions} executions in {seconds:.1f} s ({args.executions / seconds:,.0f}/s)")
        for name, samples in (await measure(repo, args.queries)).items():
            p50, p95 = percentile(samples, 0.5) * 1000, percentile(samples, 0.95) * 1000
            print(
                f"{name:34s} first page (25, sorted by startDate desc) over {len(samples)} queries: "
                f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"max {max(samples) * 1000:.1f} ms, mean {statistics.fmean(samples) * 1000:.1f} ms"
            )
    finally:
        await repo.close()
        if args.keep:
            print(f"kept indices with prefix {prefix}")
        else:
            indices = list(admin.indices.get(index=f"{prefix}*", allow_no_indices=True).body)
            if indices:
                admin.indices.delete(index=",".join(indices))
            for spec in catalog.indices:
                admin.options(ignore_status=404).indices.delete_index_template(name=spec.template_name)
        admin.close()


if __name__ == "__main__":
    asyncio.run(main())
