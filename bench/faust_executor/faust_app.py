"""The same loop on faust-streaming: one agent over the events topic, a Table (changelog-backed,
in-memory store) holding the per-execution state, the command sent to the commands topic.

Run (in the throwaway venv, see README.md)::

    FX_PREFIX=fx_xxx_ FX_EXPECTED=20000 FX_GUARANTEE=exactly_once \
        /tmp/faust-venv/bin/faust -A faust_app worker -l warn --without-web
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import faust
from workload import BOOTSTRAP, PARTITIONS, apply, topics

PREFIX = os.environ["FX_PREFIX"]
EXPECTED = int(os.environ.get("FX_EXPECTED", "0"))
NAMES = topics(PREFIX)

app = faust.App(
    f"{PREFIX}faust",
    broker=f"kafka://{BOOTSTRAP}",
    store="memory://",
    processing_guarantee=os.environ.get("FX_GUARANTEE", "exactly_once"),
    topic_partitions=PARTITIONS,
    web_enabled=False,
    stream_buffer_maxsize=4096,
    broker_commit_every=500,
    broker_commit_interval=0.1,
)
events = app.topic(
    NAMES["events"], key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw"
)
commands = app.topic(
    NAMES["commands"], key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw"
)
states = app.Table("states", default=None, partitions=PARTITIONS, value_type=bytes)
progress: dict[str, Any] = {"handled": 0, "first": None}


@app.agent(events)
async def executor(stream: faust.StreamT[bytes]) -> None:
    async for key, value in stream.items():
        if progress["first"] is None:
            progress["first"] = time.monotonic()
        execution_id = key.decode()
        stored = states.get(execution_id)
        state, command = apply(json.loads(stored) if stored else None, value)
        if command is not None:
            states[execution_id] = json.dumps(state).encode()
            await commands.send(key=key, value=command)
        progress["handled"] += 1
        if EXPECTED and progress["handled"] == EXPECTED:
            elapsed = time.monotonic() - progress["first"]
            print(
                f"faust: {EXPECTED} events in {elapsed:.2f}s -> {EXPECTED / elapsed:.0f} events/s", flush=True
            )


@app.timer(interval=1.0)
async def report() -> None:
    print(f"faust progress handled={progress['handled']} at={time.time():.1f}", flush=True)
