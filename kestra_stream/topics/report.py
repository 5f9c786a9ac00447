"""Human-readable output of ``topics apply``."""

from __future__ import annotations

from kestra_stream.topics.apply import ApplyReport, TopicOutcome, TopicStatus
from kestra_stream.topics.table import render_table

_HEADERS = ("TOPIC", "PARTITIONS", "RF", "CLEANUP", "MESSAGE", "STATUS")


def render_report(report: ApplyReport) -> str:
    rows = [_row(outcome) for outcome in report.outcomes]
    details = [line for outcome in report.outcomes for line in _details(outcome)]
    counts: dict[str, int] = {}
    for outcome in report.outcomes:
        counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    parts = [render_table(_HEADERS, rows)]
    if details:
        parts.append("\n".join(details))
    parts.append(f"{len(report.outcomes)} topics: {summary}")
    if report.has_drift:
        parts.append(
            "drift remains: `--fix` sets drifted configs and grows partitions where that is safe; "
            "the lines above say what it cannot fix"
        )
    return "\n\n".join(parts)


def _row(outcome: TopicOutcome) -> list[str]:
    spec = outcome.spec
    partitions = str(spec.partitions)
    if outcome.partitions_found is not None and outcome.partitions_found != spec.partitions:
        partitions = f"{outcome.partitions_found} (want {spec.partitions})"
    return [
        spec.name,
        partitions,
        str(spec.replication_factor),
        spec.cleanup_policy,
        spec.message.type,
        outcome.status.value.upper() if outcome.status is TopicStatus.DRIFT else outcome.status.value,
    ]


def _details(outcome: TopicOutcome) -> list[str]:
    name = outcome.spec.name
    lines = [f"{name}: DRIFT {drift.describe()}" for drift in outcome.remaining]
    lines += [f"{name}: fixed {drift.describe(explain=False)}" for drift in outcome.fixed]
    lines += [f"{name}: {note}" for note in outcome.notes]
    return lines
