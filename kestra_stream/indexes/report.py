"""Human-readable output of ``indexes apply``."""

from __future__ import annotations

from kestra_stream.indexes.apply import IndexApplyReport, IndexOutcome, IndexStatus
from kestra_stream.topics.table import render_table

_HEADERS = ("INDEX", "LAYOUT", "CONCRETE INDICES", "FED BY TOPIC", "STATUS")


def render_index_report(report: IndexApplyReport) -> str:
    rows = [_row(outcome) for outcome in report.outcomes]
    details = [line for outcome in report.outcomes for line in _details(outcome)]
    counts: dict[str, int] = {}
    for outcome in report.outcomes:
        counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    parts = [render_table(_HEADERS, rows)]
    if details:
        parts.append("\n".join(details))
    parts.append(f"{len(report.outcomes)} indices: {summary}")
    if report.has_drift:
        parts.append(
            "drift remains: `--fix` re-puts templates and adds missing fields; changed or extra fields "
            "need a new index filled again from its topic"
        )
    return "\n\n".join(parts)


def _row(outcome: IndexOutcome) -> list[str]:
    spec = outcome.spec
    status = outcome.status.value
    return [
        spec.name,
        spec.layout.value,
        ",".join(outcome.indices) or spec.first_index,
        spec.source_topic,
        status.upper() if outcome.status is IndexStatus.DRIFT else status,
    ]


def _details(outcome: IndexOutcome) -> list[str]:
    lines = [f"{drift.target}: DRIFT {drift.describe()}" for drift in outcome.remaining]
    lines += [f"{drift.target}: fixed {drift.describe()}" for drift in outcome.fixed]
    lines += [f"{outcome.spec.name}: {note}" for note in outcome.notes if outcome.status is IndexStatus.DRIFT]
    return lines
