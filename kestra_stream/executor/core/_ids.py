"""Deterministic identifiers: the same event applied twice to the same state makes the same ids.

Task runs and child executions get ids derived from what they are (execution, parent, task,
iteration, restart generation), written like Kestra's (base62, ~22 characters). Re-processing a batch
after an aborted transaction therefore produces byte-identical commands.
"""

from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def derived_id(*parts: object) -> str:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).digest()
    number = int.from_bytes(digest, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits)) or "0"


def derived_fraction(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) (random retry delays without a random source)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
