"""What the admin commands (``topics``, ``indexes``) share: tables, apply statuses and reports, exit codes."""

from __future__ import annotations

import enum
from collections.abc import Sequence

import click

EXIT_DRIFT = 1
EXIT_ERROR = 2


class CommandFailure(click.ClickException):
    exit_code = EXIT_ERROR


class ApplyStatus(enum.Enum):
    """What ``apply`` did (or would do) with one entry of a catalog."""

    CREATED = "created"
    WOULD_CREATE = "would create"
    OK = "ok"
    FIXED = "fixed"
    DRIFT = "drift"

    def cell(self) -> str:
        """Its table cell: DRIFT shouts."""
        text: str = self.value
        return text.upper() if self is ApplyStatus.DRIFT else text


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = [_line(headers, widths), _line(["-" * width for width in widths], widths)]
    lines.extend(_line(row, widths) for row in rows)
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def render_apply_report(
    *,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    details: Sequence[str],
    statuses: Sequence[ApplyStatus],
    noun: str,
    drift_hint: str | None,
) -> str:
    """The table, the detail lines, ``N <noun>: 2 ok, 1 drift`` and, when drift remains, the hint."""
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status.value] = counts.get(status.value, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    parts = [render_table(headers, rows)]
    if details:
        parts.append("\n".join(details))
    parts.append(f"{len(statuses)} {noun}: {summary}")
    if drift_hint is not None:
        parts.append(drift_hint)
    return "\n\n".join(parts)
