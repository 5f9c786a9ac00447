"""Execution and task run states, with the state history Kestra keeps."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, computed_field, model_validator

from kestra_stream.models.dates import Instant, utc_now
from kestra_stream.models.durations import format_duration
from kestra_stream.models.payload import Payload


class StateType(StrEnum):
    CREATED = "CREATED"
    SUBMITTED = "SUBMITTED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RESTARTED = "RESTARTED"
    KILLING = "KILLING"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    FAILED = "FAILED"
    KILLED = "KILLED"
    CANCELLED = "CANCELLED"
    QUEUED = "QUEUED"
    RETRYING = "RETRYING"
    RETRIED = "RETRIED"
    SKIPPED = "SKIPPED"
    BREAKPOINT = "BREAKPOINT"
    RESUBMITTED = "RESUBMITTED"

    def is_terminated(self) -> bool:
        return self in _TERMINATED

    def is_terminated_no_fail(self) -> bool:
        return self in _TERMINATED_NO_FAIL

    def is_created(self) -> bool:
        return self in (StateType.CREATED, StateType.RESTARTED)

    def is_running(self) -> bool:
        return self in (StateType.RUNNING, StateType.KILLING)

    def is_failed(self) -> bool:
        return self is StateType.FAILED

    def is_success(self) -> bool:
        return self is StateType.SUCCESS

    def is_killed(self) -> bool:
        return self in (StateType.KILLED, StateType.KILLING)

    def is_paused(self) -> bool:
        return self is StateType.PAUSED

    def is_queued(self) -> bool:
        return self is StateType.QUEUED

    def is_retrying(self) -> bool:
        return self in (StateType.RETRYING, StateType.RETRIED)

    def is_restartable(self) -> bool:
        return self in (StateType.FAILED, StateType.KILLED, StateType.PAUSED)

    def is_resumable(self) -> bool:
        return self in (StateType.PAUSED, StateType.RETRYING, StateType.CREATED)


_TERMINATED = frozenset(
    {
        StateType.FAILED,
        StateType.WARNING,
        StateType.SUCCESS,
        StateType.KILLED,
        StateType.CANCELLED,
        StateType.RETRIED,
        StateType.SKIPPED,
    }
)
_TERMINATED_NO_FAIL = frozenset({StateType.WARNING, StateType.SUCCESS, StateType.RETRIED, StateType.SKIPPED})


class StateHistory(Payload):
    state: StateType
    date: Instant


class State(Payload):
    """``current`` plus every change as ``histories``; start/end/duration are derived from them."""

    current: StateType = StateType.CREATED
    histories: tuple[StateHistory, ...] = Field(default_factory=tuple)

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in {"startDate", "endDate", "duration"}}
        return data

    @model_validator(mode="after")
    def _history_matches_current(self) -> State:
        if not self.histories:
            object.__setattr__(self, "histories", (StateHistory(state=self.current, date=utc_now()),))
        return self

    @classmethod
    def of(cls, current: StateType = StateType.CREATED, *, at: datetime | None = None) -> State:
        return cls(current=current, histories=(StateHistory(state=current, date=at or utc_now()),))

    def with_state(self, state: StateType, *, at: datetime | None = None) -> State:
        """A copy in ``state`` with one more history entry; unchanged if already in it."""
        if state is self.current:
            return self
        history = StateHistory(state=state, date=at or utc_now())
        return self.model_copy(update={"current": state, "histories": (*self.histories, history)})

    @computed_field(alias="startDate")  # type: ignore[prop-decorator]
    @property
    def start_date(self) -> Instant:
        return self.histories[0].date

    @computed_field(alias="endDate")  # type: ignore[prop-decorator]
    @property
    def end_date(self) -> Instant | None:
        if self.current.is_terminated() or self.current.is_paused():
            return self.histories[-1].date
        return None

    def elapsed(self, now: datetime | None = None) -> timedelta:
        end = self.end_date or now or utc_now()
        return end - self.start_date

    @computed_field(alias="duration")  # type: ignore[prop-decorator]
    @property
    def duration_iso(self) -> str:
        return format_duration(self.elapsed())

    def is_terminated(self) -> bool:
        return self.current.is_terminated()

    def is_failed(self) -> bool:
        return self.current.is_failed()

    def is_running(self) -> bool:
        return self.current.is_running()

    def is_paused(self) -> bool:
        return self.current.is_paused()

    def is_created(self) -> bool:
        return self.current.is_created()
