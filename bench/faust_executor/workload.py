"""The shared workload of the executor-framework comparison (stdlib only: imported by both venvs).

An "event" is what the executor consumes (a worker result for an execution); the state update is the
executor's per-event work in miniature: load the execution's state, apply the event (dedup by
sequence number, count, bounded history), serialise the new state (changelog) and emit one command.
"""

from __future__ import annotations

import json
import os
from typing import Any

BOOTSTRAP = os.environ.get("KESTRA_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
PARTITIONS = 4


def topics(prefix: str) -> dict[str, str]:
    return {"events": f"{prefix}events", "commands": f"{prefix}commands", "changelog": f"{prefix}changelog"}


def event(execution_id: str, seq: int) -> bytes:
    return json.dumps(
        {"executionId": execution_id, "seq": seq, "state": "SUCCESS", "outputs": {"n": seq}}
    ).encode()


def apply(state: dict[str, Any] | None, raw: bytes) -> tuple[dict[str, Any], bytes | None]:
    """(new state, command or None when the event was already applied)."""
    payload = json.loads(raw)
    state = dict(state) if state else {"count": 0, "applied": [], "history": []}
    if payload["seq"] in state["applied"]:
        return state, None
    state["count"] += 1
    state["applied"] = [*state["applied"], payload["seq"]]
    state["history"] = [*state["history"], {"state": payload["state"], "outputs": payload["outputs"]}][-20:]
    command = json.dumps(
        {"executionId": payload["executionId"], "seq": payload["seq"], "next": state["count"]}
    )
    return state, command.encode()
