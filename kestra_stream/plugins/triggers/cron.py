"""Cron expressions as Kestra reads them (cron-utils, Unix definition).

Five fields (minute precision), or six with the seconds first when ``withSeconds: true``; the
nicknames ``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight`` and
``@hourly``.
"""

from __future__ import annotations

from croniter import croniter

NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class CronError(ValueError):
    pass


def normalize_cron(expression: str, *, with_seconds: bool = False) -> str:
    """The cron in croniter's form (nicknames expanded, seconds first); raises :class:`CronError`."""
    text = " ".join(expression.split())
    if text.startswith("@"):
        if text.lower() not in NICKNAMES:
            raise CronError(
                f"invalid cron expression `{expression}`: unknown nickname, use one of {list(NICKNAMES)}"
            )
        text = NICKNAMES[text.lower()]
        return f"0 {text}" if with_seconds else text
    expected = 6 if with_seconds else 5
    fields = text.split(" ")
    if len(fields) != expected:
        hint = "" if with_seconds or len(fields) != 6 else " (set `withSeconds: true` for a seconds field)"
        raise CronError(
            f"invalid cron expression `{expression}`: expected {expected} fields, got {len(fields)}{hint}"
        )
    if not croniter.is_valid(text, second_at_beginning=with_seconds):
        raise CronError(f"invalid cron expression `{expression}`")
    return text
