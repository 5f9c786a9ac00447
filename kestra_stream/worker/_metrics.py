"""Worker metrics, named after Kestra's (``kestra_worker_*``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

STARTED = Counter("kestra_worker_started_count", "Task runs started", ["worker_group"])
ENDED = Counter("kestra_worker_ended_count", "Task runs ended", ["worker_group", "state"])
DURATION = Histogram(
    "kestra_worker_ended_duration_seconds", "Task run duration on the worker", ["worker_group"]
)
RUNNING = Gauge("kestra_worker_job_running", "Jobs running", ["worker_group"])
PENDING = Gauge("kestra_worker_job_pending", "Jobs received, waiting for a thread", ["worker_group"])
THREADS = Gauge("kestra_worker_job_thread", "Size of the worker pool", ["worker_group"])
