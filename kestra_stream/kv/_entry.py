"""One stored pair with the metadata Kestra keeps (creation/update dates, expiration)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kestra_stream.models.durations import to_timedelta

_KEY = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")


class InvalidKVKeyError(ValueError):
    pass


class KVKeyExistsError(ValueError):
    def __init__(self, namespace: str, key: str) -> None:
        super().__init__(f"key `{key}` already exists in namespace `{namespace}` and `overwrite` is false")
        self.namespace = namespace
        self.key = key


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise InvalidKVKeyError(
            f"invalid KV key {key!r}: use ASCII letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit)"
        )
    return key


def ttl_seconds(ttl: str | timedelta | None) -> float | None:
    if ttl is None:
        return None
    seconds = to_timedelta(ttl).total_seconds()
    if seconds <= 0:
        raise ValueError(f"KV ttl must be positive: {ttl!r}")
    return seconds


@dataclass(frozen=True, kw_only=True)
class KVEntry:
    key: str
    value: Any
    created: float
    updated: float
    expires_at: float | None = None

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "created": self.created,
            "updated": self.updated,
            "expiresAt": self.expires_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KVEntry:
        return cls(
            key=data["key"],
            value=data.get("value"),
            created=float(data["created"]),
            updated=float(data["updated"]),
            expires_at=None if data.get("expiresAt") is None else float(data["expiresAt"]),
        )
