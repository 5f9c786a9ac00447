"""Workers: run task runs of a worker group from ``worker-jobs``, report on ``worker-task-results``."""

from kestra_stream.worker.worker import Worker, WorkerOptions, default_threads

__all__ = ["Worker", "WorkerOptions", "default_threads"]
