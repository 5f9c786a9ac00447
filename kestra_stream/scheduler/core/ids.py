"""Deterministic execution ids: one trigger firing can only ever name one execution.

The executor ignores a ``NewExecution`` whose id it already holds, so a tick replayed after a crash
(or evaluated twice by two instances during a rebalance) cannot start a second execution.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(*parts: object) -> str:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).digest()
    number = int.from_bytes(digest, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits)) or "0"


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def scheduled_execution_id(uid: str, date: datetime) -> str:
    """A Schedule/ScheduleOnDates firing: the trigger and its scheduled date (as an instant)."""
    return _base62("schedule", uid, _instant(date))


def backfill_execution_id(uid: str, backfill_key: str, date: datetime) -> str:
    """A backfill replays dates that already ran: the backfill itself is part of the id."""
    return _base62("backfill", uid, backfill_key, _instant(date))


def polling_execution_id(uid: str, evaluation_date: datetime) -> str:
    return _base62("polling", uid, _instant(evaluation_date))


def realtime_execution_id(uid: str, source: str, partition: int, offset: int) -> str:
    """A realtime event: its position in the source (for Kafka: topic, partition, offset)."""
    return _base62("realtime", uid, source, partition, offset)
