"""The scheduler's pure core: every decision as a function of (flow, trigger, record, event, now).

No I/O and no clock: the shell (``kestra_stream.scheduler.service``) passes ``now`` and writes what
the returned :class:`Step` holds (record, executions, logs, jobs) in one transaction.
"""

from kestra_stream.scheduler.core.commands import apply_command
from kestra_stream.scheduler.core.cron import CronSchedule
from kestra_stream.scheduler.core.executions import BACKFILL_LABEL, TriggerError, build_execution
from kestra_stream.scheduler.core.ids import (
    backfill_execution_id,
    polling_execution_id,
    realtime_execution_id,
    scheduled_execution_id,
)
from kestra_stream.scheduler.core.polling import apply_trigger_result, polling_due, realtime_execution
from kestra_stream.scheduler.core.records import (
    is_scheduled,
    new_record,
    recover_missed,
    release_if_ended,
    release_stale_evaluation,
    sync_definition,
    uid_of,
)
from kestra_stream.scheduler.core.schedule import fire_due, schedule_variables
from kestra_stream.scheduler.core.types import SchedulerSettings, Step

__all__ = [
    "BACKFILL_LABEL",
    "CronSchedule",
    "SchedulerSettings",
    "Step",
    "TriggerError",
    "apply_command",
    "apply_trigger_result",
    "backfill_execution_id",
    "build_execution",
    "fire_due",
    "is_scheduled",
    "new_record",
    "polling_due",
    "polling_execution_id",
    "realtime_execution",
    "realtime_execution_id",
    "recover_missed",
    "release_if_ended",
    "release_stale_evaluation",
    "schedule_variables",
    "scheduled_execution_id",
    "sync_definition",
    "uid_of",
]
