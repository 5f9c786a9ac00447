"""``now``, ``max``/``min``, ``range``, identifiers, random values and ``http``."""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import time
import uuid as uuid_module
from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from kestra_stream.expressions import _java_time
from kestra_stream.expressions._operators import inclusive_range
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.functions._context import services
from kestra_stream.expressions.services import require

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
NANOID_ALPHABET = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
KSUID_EPOCH = 1_400_000_000


def base62(number: int, width: int = 0) -> str:
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    return "".join(reversed(digits)).rjust(width, "0")


def _extremum(values: tuple[Any, ...], pick: Callable[..., Any], name: str) -> Any:
    items = list(values[0]) if len(values) == 1 and isinstance(values[0], list | tuple) else list(values)
    if not items:
        raise ExpressionError(f"{name}() needs at least one value")
    try:
        return pick(items)
    except TypeError:
        raise ExpressionError(f"{name}() cannot compare these values") from None


def maximum(*values: Any) -> Any:
    return _extremum(values, max, "max")


def minimum(*values: Any) -> Any:
    return _extremum(values, min, "min")


def range_function(start: Any, end: Any, step: Any = 1) -> list[int]:
    return inclusive_range(start, end, step)


def uuid() -> str:
    """A random UUID encoded in URL-safe base62 (22 characters), like Kestra's ``IdUtils``."""
    return base62(uuid_module.uuid4().int, 22)


def ksuid() -> str:
    timestamp = int(time.time()) - KSUID_EPOCH
    payload = int.from_bytes(timestamp.to_bytes(4, "big") + secrets.token_bytes(16), "big")
    return base62(payload, 27)


def nano_id(length: int = 21, alphabet: str = NANOID_ALPHABET) -> str:
    if length <= 0 or not alphabet:
        raise ExpressionError("nanoId() needs a positive length and a non-empty alphabet")
    return "".join(secrets.choice(alphabet) for _ in range(int(length)))


def random_int(lower: int, upper: int) -> int:
    if int(upper) <= int(lower):
        raise ExpressionError("randomInt(): upper must be greater than lower")
    return int(lower) + secrets.randbelow(int(upper) - int(lower))


def random_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pass_context
def http(context: Context, uri: str, **options: Any) -> Any:
    return require(services(context).http, "http")(uri, **options)


def utility_functions(default_zone: dt.tzinfo) -> dict[str, Callable[..., Any]]:
    def now(timeZone: str | None = None, format: str | None = None, locale: str | None = None) -> Any:
        current = dt.datetime.now(_java_time.zone(timeZone, default_zone))
        return current if format is None else _java_time.format_date(current, format, locale)

    return {
        "now": now,
        "max": maximum,
        "min": minimum,
        "range": range_function,
        "uuid": uuid,
        "id": uuid,
        "ksuid": ksuid,
        "nanoId": nano_id,
        "randomInt": random_int,
        "randomPort": random_port,
        "http": http,
    }
