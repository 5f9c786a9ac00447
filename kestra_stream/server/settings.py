"""Server settings from Kestra's keys (liveness, grace period, management port)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kestra_stream.config import Config, ConfigError
from kestra_stream.models.durations import parse_duration

_SHORT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def seconds(value: Any, *, key: str) -> float:
    """``45s``, ``5m``, ``PT45S`` or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value)
    match = _SHORT.match(text)
    if match:
        return float(match.group(1)) * _UNITS[match.group(2)]
    try:
        return float(parse_duration(text).total_seconds())
    except ValueError as error:
        raise ConfigError(f"`{key}`: invalid duration {text!r}") from error


class WorkerTaskRestartStrategy(StrEnum):
    """``kestra.server.worker-task-restart-strategy``: when the task runs of a dead worker are resubmitted."""

    NEVER = "NEVER"
    """Never: they stay RUNNING (and their executions too) until someone acts."""
    IMMEDIATELY = "IMMEDIATELY"
    """Once the worker has been silent for ``liveness.timeout`` (or reported a forced termination)."""
    AFTER_TERMINATION_GRACE_PERIOD = "AFTER_TERMINATION_GRACE_PERIOD"
    """Kestra's default: silent for ``liveness.timeout`` plus ``termination-grace-period``, so a worker
    still finishing its tasks cannot come back after they were resubmitted."""


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    heartbeat_interval: float = 3.0
    liveness_timeout: float = 45.0
    liveness_initial_delay: float = 45.0
    liveness_interval: float = 5.0
    termination_grace_period: float = 300.0
    management_port: int = 8081
    instance_id: str | None = None
    worker_task_restart_strategy: WorkerTaskRestartStrategy = (
        WorkerTaskRestartStrategy.AFTER_TERMINATION_GRACE_PERIOD
    )
    """``kestra.server.instance-id``: the stable identity behind the executor's ``transactional.id``."""

    @classmethod
    def from_config(cls, config: Config) -> ServerSettings:
        def duration(key: str, default: float) -> float:
            value = config.get(key)
            return default if value is None else seconds(value, key=key)

        return cls(
            heartbeat_interval=duration("kestra.server.liveness.heartbeat-interval", 3.0),
            liveness_timeout=duration("kestra.server.liveness.timeout", 45.0),
            liveness_initial_delay=duration("kestra.server.liveness.initial-delay", 45.0),
            liveness_interval=duration("kestra.server.liveness.interval", 5.0),
            termination_grace_period=duration("kestra.server.termination-grace-period", 300.0),
            management_port=_management_port(config),
            instance_id=str(config.get("kestra.server.instance-id") or "") or None,
            worker_task_restart_strategy=_strategy(config.get("kestra.server.worker-task-restart-strategy")),
        )


def _management_port(config: Config) -> int:
    """``endpoints.all.port`` (Micronaut's key, outside ``kestra.``), which the ``KESTRA_*`` env
    convention cannot reach: ``KESTRA_ENDPOINTS_ALL_PORT`` (``kestra.endpoints.all.port``) overrides it."""
    return int(config.get("kestra.endpoints.all.port", config.get("endpoints.all.port", 8081)))


def _strategy(value: Any) -> WorkerTaskRestartStrategy:
    if value is None:
        return WorkerTaskRestartStrategy.AFTER_TERMINATION_GRACE_PERIOD
    try:
        return WorkerTaskRestartStrategy(str(value).upper().replace("-", "_"))
    except ValueError as error:
        choices = ", ".join(strategy.value for strategy in WorkerTaskRestartStrategy)
        raise ConfigError(
            f"`kestra.server.worker-task-restart-strategy`: {value!r} is not one of {choices}"
        ) from error
