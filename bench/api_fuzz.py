"""Longer schemathesis run against the API on the memory backend: no 5xx, whatever is sent.

    python bench/api_fuzz.py --examples 50          # per operation (tests/api/test_fuzz.py uses 4)

Starts the engine (executor + worker on a MemoryQueue) and the web app on a free port, then runs every
operation of the generated OpenAPI document (SSE follows excluded) and prints the failures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "api"))

from api_backends import AUTH, MemoryServer, memory_config  # noqa: E402

from kestra_stream.queue import MemoryQueue, MemoryQueueOptions  # noqa: E402
from kestra_stream.server import Server, ServerPlan, ServerSettings  # noqa: E402
from kestra_stream.webserver import api_routes  # noqa: E402
from kestra_stream.webserver.openapi import openapi_document  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=50)
    args = parser.parse_args()
    config = memory_config(Path(tempfile.mkdtemp(prefix="api-fuzz-")))
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=2))
    engine = Server(config=config, plan=ServerPlan(management=False), queue=queue, settings=ServerSettings())
    engine.start()
    server = MemoryServer(config, queue)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    schema = schemathesis.openapi.from_dict(openapi_document(api_routes())).exclude(path_regex=r"/follow$")
    failures: list[str] = []
    started = time.monotonic()
    calls = 0
    try:
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck))
            def run(case: schemathesis.Case) -> None:
                nonlocal calls
                calls += 1
                response = case.call(base_url=base, headers={"Authorization": AUTH}, timeout=20)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
                    )

            run()
    finally:
        server.stop()
        engine.stop()
    print(f"{calls} requests in {time.monotonic() - started:.1f}s, {len(failures)} server errors")
    for failure in sorted(set(failures)):
        print(" ", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
