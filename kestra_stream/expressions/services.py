"""Runtime services some functions need (secrets, KV store, files, logs…), injected by the caller.

Every service is optional: calling a function whose service is missing raises a clear
``ExpressionError``. The defaults reproduce Kestra OSS where it needs no server (``secret`` reads
``SECRET_<KEY>`` environment variables holding base64).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.holidays import HolidayCalendarError, is_public_holiday
from kestra_stream.plugins.context import KVStore

SecretLookup = Callable[[str, "str | None"], "str | None"]


def environment_secret(key: str, namespace: str | None = None) -> str | None:
    """Kestra OSS: ``secret('MY_KEY')`` is the base64-decoded ``SECRET_MY_KEY`` variable."""
    encoded = os.environ.get(f"SECRET_{key}")
    if encoded is None:
        return None
    try:
        return base64.b64decode(encoded, validate=False).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ExpressionError(f"secret `{key}` is not valid base64 in SECRET_{key}") from None


def public_holiday(date: Any, country: str, sub_division: str | None = None) -> bool:
    """The default calendar of ``isPublicHoliday()``: the ``holidays`` library, no server needed."""
    try:
        return is_public_holiday(date, country, sub_division)
    except HolidayCalendarError as error:
        raise ExpressionError(f"isPublicHoliday(): {error}") from None


@dataclass(frozen=True, slots=True)
class ExpressionServices:
    secret: SecretLookup | None = environment_secret
    on_secret: Callable[[str], None] | None = None  # register a secret value for log masking
    credential: Callable[[str], str] | None = None
    kv: KVStore | None = None
    read: Callable[[str, str | None], str] | None = None  # (path or URI, namespace) -> content
    file_uri: Callable[[str, str | None], str] | None = None
    file_size: Callable[[str], int] | None = None
    file_exists: Callable[[str], bool] | None = None
    is_file_empty: Callable[[str], bool] | None = None
    error_logs: Callable[[], list[Any]] | None = None
    tasks_with_state: Callable[[str], list[Mapping[str, Any]]] | None = None
    encrypt: Callable[[str, str], str] | None = None  # (key name, plain) -> encrypted
    decrypt: Callable[[str, str], str] | None = None
    http: Callable[..., Any] | None = None  # (uri, method=…, headers=…, body=…, contentType=…)
    is_public_holiday: Callable[[Any, str, str | None], bool] | None = public_holiday
    app_link: Callable[..., str] | None = None


ServicesResolver = Callable[[Mapping[str, Any]], ExpressionServices]
"""The services of one render, derived from its variables (``flow``, ``execution``…): what a process
that renders for many executions (executor, webserver, scheduler) gives its engine."""


class LazyServices:
    """A resolver applied to one render's variables the first time a function needs a service."""

    __slots__ = ("_context", "_resolved", "_resolver")

    def __init__(self, resolver: ServicesResolver, context: Mapping[str, Any]) -> None:
        self._resolver = resolver
        self._context = context
        self._resolved: ExpressionServices | None = None

    def get(self) -> ExpressionServices:
        if self._resolved is None:
            self._resolved = self._resolver(self._context)
        return self._resolved


def require(service: Any, function_name: str) -> Any:
    if service is None:
        raise ExpressionError(
            f"the `{function_name}()` function is not available here (no service configured)"
        )
    return service


# The executor puts the execution's error messages in a task run's variables under this key (a
# compact list of ``{taskId, taskRunId, attemptNumber, message, timestamp}``); the worker maps it
# to ``errorLogs()``. Only present once something failed.
ERROR_LOGS_VARIABLE = "__kestraErrorLogs"
