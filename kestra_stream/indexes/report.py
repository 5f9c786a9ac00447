"""Human-readable output of ``indexes apply``."""

from __future__ import annotations

from kestra_stream.cli_output import ApplyStatus, render_apply_report
from kestra_stream.indexes.apply import IndexApplyReport, IndexOutcome

_HEADERS = ("INDEX", "LAYOUT", "CONCRETE INDICES", "FED BY TOPIC", "STATUS")


def render_index_report(report: IndexApplyReport) -> str:
    return render_apply_report(
        headers=_HEADERS,
        rows=[_row(outcome) for outcome in report.outcomes],
        details=[line for outcome in report.outcomes for line in _details(outcome)],
        statuses=[outcome.status for outcome in report.outcomes],
        noun="indices",
        drift_hint=(
            "drift remains: `--fix` re-puts templates and adds missing fields; changed or extra fields "
            "need a new index filled again from its topic"
        )
        if report.has_drift
        else None,
    )


def _row(outcome: IndexOutcome) -> list[str]:
    spec = outcome.spec
    return [
        spec.name,
        spec.layout.value,
        ",".join(outcome.indices) or spec.first_index,
        spec.source_topic,
        outcome.status.cell(),
    ]


def _details(outcome: IndexOutcome) -> list[str]:
    lines = [f"{drift.target}: DRIFT {drift.describe()}" for drift in outcome.remaining]
    lines += [f"{drift.target}: fixed {drift.describe()}" for drift in outcome.fixed]
    lines += [f"{outcome.spec.name}: {note}" for note in outcome.notes if outcome.status is ApplyStatus.DRIFT]
    return lines
