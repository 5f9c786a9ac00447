"""Cooperative cancellation of a running attempt (timeout or kill).

The token travels in a context variable so tasks reach it without widening the ``RunContext``
protocol; long-running tasks (sleep, scripts, HTTP) poll or wait on it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float | None) -> bool:
        """Sleep up to ``seconds``; ``True`` as soon as the token is cancelled."""
        return self._event.wait(seconds)


_NEVER = CancelToken()
_current: ContextVar[CancelToken] = ContextVar("kestra_cancel_token", default=_NEVER)


def current_token() -> CancelToken:
    return _current.get()


@contextmanager
def cancellation_scope(token: CancelToken) -> Iterator[CancelToken]:
    reset = _current.set(token)
    try:
        yield token
    finally:
        _current.reset(reset)
