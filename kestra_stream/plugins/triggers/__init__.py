"""Trigger models (``io.kestra.plugin.core.trigger.*``), old names registered as aliases."""

from kestra_stream.plugins.triggers.cron import CronError, normalize_cron
from kestra_stream.plugins.triggers.flow import (
    Filter,
    FilterField,
    FilterType,
    FlowTrigger,
    FlowTriggerVariables,
    Operand,
    Preconditions,
    UpstreamFlow,
    Where,
)
from kestra_stream.plugins.triggers.schedule import (
    RecoverMissedSchedules,
    Schedule,
    ScheduleOnDates,
    ScheduleVariables,
)
from kestra_stream.plugins.triggers.webhook import Webhook, WebhookVariables

__all__ = [
    "CronError",
    "Filter",
    "FilterField",
    "FilterType",
    "FlowTrigger",
    "FlowTriggerVariables",
    "Operand",
    "Preconditions",
    "RecoverMissedSchedules",
    "Schedule",
    "ScheduleOnDates",
    "ScheduleVariables",
    "UpstreamFlow",
    "Webhook",
    "WebhookVariables",
    "Where",
    "normalize_cron",
]
