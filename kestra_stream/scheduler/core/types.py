"""What the scheduler's pure functions take and return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.models.execution import Execution
from kestra_stream.models.logs import LogEntry
from kestra_stream.models.trigger_context import TriggerRecord
from kestra_stream.plugins.triggers import RecoverMissedSchedules
from kestra_stream.scheduler.messages import WorkerTriggerJob


@dataclass(frozen=True, kw_only=True)
class SchedulerSettings:
    engine: ExpressionEngine = field(default_factory=ExpressionEngine)
    recover_missed_schedules: RecoverMissedSchedules = RecoverMissedSchedules.ALL
    """The global default (``kestra.plugins.configurations`` of the Schedule type)."""
    max_firings_per_tick: int = 1000
    """Missed dates of one trigger fired in one tick (the rest in the next ones)."""
    polling_evaluation_timeout: timedelta = timedelta(minutes=5)
    """An evaluation without result for this long (its worker died) is released and retried."""
    default_polling_interval: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, kw_only=True)
class Step:
    """The new state of one trigger and what to produce with it, in one transaction."""

    record: TriggerRecord
    changed: bool = False
    executions: tuple[Execution, ...] = ()
    logs: tuple[LogEntry, ...] = ()
    jobs: tuple[WorkerTriggerJob, ...] = ()

    @classmethod
    def unchanged(cls, record: TriggerRecord) -> Step:
        return cls(record=record)


SCHEDULE_TYPES = ("io.kestra.plugin.core.trigger.Schedule", "io.kestra.core.models.triggers.types.Schedule")


def recover_default_from(configurations: object) -> RecoverMissedSchedules:
    """``kestra.plugins.configurations``: ``[{type: ...Schedule, values: {recoverMissedSchedules: X}}]``."""
    for entry in configurations if isinstance(configurations, list) else ():
        if isinstance(entry, dict) and entry.get("type") in SCHEDULE_TYPES:
            value = (entry.get("values") or {}).get("recoverMissedSchedules")
            if value:
                return RecoverMissedSchedules(str(value).upper())
    return RecoverMissedSchedules.ALL
