"""``FlowCache.await_flow``: an unknown flow (or newer revision) is read from the flows topic up to its
current end before the executor gives up on it; known ones never touch the topic. Both backends."""

from __future__ import annotations

import time

from queue_backends import MakeQueue

from kestra_stream.flows_cache import FlowCache, FlowSource, publish_flow


def _source(flow_id: str, revision: int, message: str = "hi", *, deleted: bool = False) -> FlowSource:
    return FlowSource(
        tenant_id="main",
        namespace="company.team",
        id=flow_id,
        revision=revision,
        source=f"""id: {flow_id}
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{message}"
""",
        deleted=deleted,
    )


def _publish(make_queue: MakeQueue, *sources: FlowSource) -> None:
    producer = make_queue().producer()
    for source in sources:
        publish_flow(producer, source)
    producer.flush(10)


def test_await_flow_reads_what_was_published_before(make_queue: MakeQueue) -> None:
    _publish(make_queue, _source("first", 1))
    cache = FlowCache(queue=make_queue())
    try:
        cache.catch_up(30)
        assert cache.knows("company.team", "first", 1)
        assert cache.await_flow("company.team", "first", 1, timeout=0.0)  # known: no wait, no I/O

        _publish(make_queue, _source("second", 1), _source("first", 2, "v2"))
        # Nobody follows the topic here: without the catch-up the cache would not know them.
        assert not cache.knows("company.team", "second", 1)
        assert not cache.knows("company.team", "first", 2)
        started = time.monotonic()
        assert cache.await_flow("company.team", "second", 1, timeout=10.0)
        assert time.monotonic() - started < 5.0
        assert cache.knows("company.team", "first", 2)
        flow = cache("company.team", "first", 2)
        assert flow is not None and flow.revision == 2

        # Compacted away older revisions are known (the latest answers); unknown flows end False
        # once the topic was read to its end, within the timeout.
        assert cache.knows("company.team", "first", 1)
        started = time.monotonic()
        assert not cache.await_flow("company.team", "missing", 1, timeout=10.0)
        assert time.monotonic() - started < 5.0

        # A deleted latest revision is unknown for "latest" lookups: a re-creation may be on its way.
        _publish(make_queue, _source("second", 2, deleted=True))
        assert cache.await_flow("company.team", "second", 2, timeout=10.0)
        assert not cache.knows("company.team", "second", None)
        _publish(make_queue, _source("second", 3, "again"))
        assert cache.await_flow("company.team", "second", None, timeout=10.0)
    finally:
        cache.close()
