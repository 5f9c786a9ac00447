"""Machine load beside every figure: load average and CPU% of each process of interest.

CPU% is per process over a window, from ``/proc/<pid>/stat`` (utime + stime), as a share of one core
(200 % = both cores of this machine). Kafka and Elasticsearch are found by their command line (read
only) so that their share shows even though other sessions' tests use them too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_SHARED_SERVICES = {"kafka": "kafka.Kafka", "elasticsearch": "org.elasticsearch.bootstrap"}


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15 of stat)


def shared_service_pids() -> dict[str, int]:
    """The local Kafka broker and Elasticsearch node JVMs (the first of each found)."""
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        for name, marker in _SHARED_SERVICES.items():
            if name not in found and marker in command and "java" in command:
                found[name] = int(entry.name)
    return found


@dataclass
class CpuWindow:
    """CPU% per named process between :meth:`start` and :meth:`stop`, and the load averages seen."""

    pids: dict[str, int]
    _started: float = 0.0
    _before: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    load_start: float = 0.0
    load_end: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def start(self) -> None:
        self._started = time.monotonic()
        self._before = {name: s for name, pid in self.pids.items() if (s := cpu_seconds(pid)) is not None}
        self.load_start = os.getloadavg()[0]

    def stop(self) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        for name, pid in self.pids.items():
            now = cpu_seconds(pid)
            if now is not None and name in self._before:
                self.cpu[name] = 100.0 * (now - self._before[name]) / elapsed
        self.load_end = os.getloadavg()

    def describe(self) -> str:
        load = "/".join(f"{value:.1f}" for value in self.load_end)
        parts = ", ".join(f"{name} {share:.0f}%" for name, share in sorted(self.cpu.items()))
        return f"load {self.load_start:.1f}->{load} (1/5/15 min, {os.cpu_count()} cores); cpu {parts}"
