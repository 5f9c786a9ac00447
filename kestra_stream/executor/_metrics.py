"""Executor metrics, named after Kestra's (``kestra_executor_*``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EXECUTIONS_STARTED = Counter(
    "kestra_executor_execution_started_count", "Executions started", ["namespace_id", "flow_id"]
)
EXECUTIONS_ENDED = Counter(
    "kestra_executor_execution_end_count", "Executions ended", ["namespace_id", "flow_id", "state"]
)
TASKRUNS_ENDED = Counter("kestra_executor_taskrun_ended_count", "Task runs ended (worker results)", ["state"])
WORKER_RESULTS = Counter("kestra_executor_workertaskresult_count", "Worker results received")
RESUBMITS = Counter("kestra_executor_worker_job_resubmit_count", "WorkerDied events injected")
EVENT_LAG = Histogram(
    "kestra_executor_event_lag_seconds",
    "From the record's timestamp to its processing",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BATCH_SECONDS = Histogram(
    "kestra_executor_batch_process_seconds",
    "One batch: core + one transaction",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
ABORTED = Counter("kestra_executor_transaction_aborted_count", "Batches rolled back")
FAILED_BY_SHELL = Counter(
    "kestra_executor_execution_failed_by_shell_count", "Executions failed by the shell", ["reason"]
)
POISON = Counter("kestra_executor_poison_record_count", "Undecodable input records skipped")
STORE_SIZE = Gauge("kestra_executor_store_executions", "Executions held in the state store")
