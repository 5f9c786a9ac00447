"""Run one attempt of a runnable task with its ``timeout`` and cancellation."""

from __future__ import annotations

import contextvars
import threading
import time
from datetime import timedelta
from typing import Any

from kestra_stream.models.durations import format_duration, to_timedelta
from kestra_stream.plugins.base import RunnableTask
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.cancellation import CancelToken, cancellation_scope
from kestra_stream.runtime.errors import TaskFailure, TaskKilledError, TaskTimeoutError

DEFAULT_GRACE_SECONDS = 5.0


def run_task(
    task: RunnableTask,
    ctx: RunContext,
    *,
    token: CancelToken | None = None,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> dict[str, Any]:
    """Run ``task`` in a thread; past ``timeout`` (or once ``token`` is cancelled) cancel and fail.

    Tasks see the token through :func:`kestra_stream.runtime.cancellation.current_token` and must
    stop within ``grace_seconds`` (scripts kill their process group).
    """
    token = token or CancelToken()
    limit: float | None = None
    if task.timeout is not None:
        try:
            limit = to_timedelta(ctx.render(task.timeout)).total_seconds()
        except ValueError as error:
            raise TaskFailure(f"invalid timeout `{task.timeout}`: {error}") from error
    result: dict[str, Any] = {}
    failure: list[BaseException] = []

    def attempt() -> None:
        with cancellation_scope(token):
            try:
                result.update(task.run(ctx) or {})
            except BaseException as error:
                failure.append(error)

    thread = threading.Thread(
        target=contextvars.copy_context().run, args=(attempt,), name=f"task-{task.id}", daemon=True
    )
    thread.start()
    deadline = None if limit is None else time.monotonic() + limit
    timed_out = False
    while thread.is_alive() and not token.cancelled:
        step = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
        if step <= 0:
            timed_out = True
            token.cancel("timeout")
            break
        thread.join(step)
    if thread.is_alive():
        thread.join(grace_seconds)
    if timed_out:
        message = f"Timeout after {format_duration(timedelta(seconds=limit or 0))}"
        ctx.logger.error(message)
        raise TaskTimeoutError(message)
    if token.cancelled:
        raise TaskKilledError(f"task cancelled: {token.reason}")
    if failure:
        raise failure[0]
    return result
