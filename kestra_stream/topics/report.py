"""Human-readable output of ``topics apply``."""

from __future__ import annotations

from kestra_stream.cli_output import render_apply_report
from kestra_stream.topics.apply import ApplyReport, TopicOutcome

_HEADERS = ("TOPIC", "PARTITIONS", "RF", "CLEANUP", "MESSAGE", "STATUS")


def render_report(report: ApplyReport) -> str:
    return render_apply_report(
        headers=_HEADERS,
        rows=[_row(outcome) for outcome in report.outcomes],
        details=[line for outcome in report.outcomes for line in _details(outcome)],
        statuses=[outcome.status for outcome in report.outcomes],
        noun="topics",
        drift_hint=(
            "drift remains: `--fix` sets drifted configs and grows partitions where that is safe; "
            "the lines above say what it cannot fix"
        )
        if report.has_drift
        else None,
    )


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
        outcome.status.cell(),
    ]


def _details(outcome: TopicOutcome) -> list[str]:
    name = outcome.spec.name
    lines = [f"{name}: DRIFT {drift.describe()}" for drift in outcome.remaining]
    lines += [f"{name}: fixed {drift.describe(explain=False)}" for drift in outcome.fixed]
    lines += [f"{name}: {note}" for note in outcome.notes]
    return lines
