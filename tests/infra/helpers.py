"""Helpers for the proof tests of the real infrastructure (tests/infra)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient, NewTopic

REPO = Path(__file__).resolve().parents[2]
INFRA_SH = REPO / "deploy" / "infra.sh"
INFRA_STATE = Path(os.environ.get("KESTRA_INFRA_STATE", REPO / ".infra" / "state"))


def run_infra(*args: str, timeout: float = 300) -> None:
    """Run deploy/infra.sh (e.g. to restart a broker a test killed)."""
    subprocess.run(["bash", str(INFRA_SH), *args], check=True, timeout=timeout, stdin=subprocess.DEVNULL)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def create_topics(
    bootstrap: str,
    names: list[str],
    partitions: int,
    replication: int = 1,
    config: dict[str, str] | None = None,
) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [
            NewTopic(n, num_partitions=partitions, replication_factor=replication, config=config or {})
            for n in names
        ],
        operation_timeout=30,
        request_timeout=30,
    )
    for future in futures.values():
        future.result(timeout=60)
    # metadata of every broker knows every partition leader before the test produces
    wait_for(
        lambda: all(
            t in md.topics and len(md.topics[t].partitions) == partitions and md.topics[t].error is None
            for md in [admin.list_topics(timeout=5)]
            for t in names
        ),
        30,
        f"topics {names}",
    )


def delete_topics(bootstrap: str, names: list[str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.delete_topics(names, operation_timeout=30).values():
        with contextlib.suppress(Exception):  # best-effort cleanup: a broker may be down in HA tests
            future.result(timeout=30)
