"""The time window in which several upstream conditions must all have been met."""

from __future__ import annotations

from enum import StrEnum

from pydantic import model_validator

from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import Duration


class TimeWindowType(StrEnum):
    DURATION_WINDOW = "DURATION_WINDOW"
    SLIDING_WINDOW = "SLIDING_WINDOW"
    DAILY_TIME_DEADLINE = "DAILY_TIME_DEADLINE"
    DAILY_TIME_WINDOW = "DAILY_TIME_WINDOW"


class TimeWindow(KestraModel):
    type: TimeWindowType = TimeWindowType.DURATION_WINDOW
    window: Duration | None = None
    window_advance: Duration | None = None
    deadline: str | None = None
    start_time: str | None = None
    end_time: str | None = None

    @model_validator(mode="after")
    def _fields_of_type(self) -> TimeWindow:
        if self.type is TimeWindowType.DAILY_TIME_DEADLINE and self.deadline is None:
            raise ValueError("`deadline` is required for a DAILY_TIME_DEADLINE window")
        if self.type is TimeWindowType.DAILY_TIME_WINDOW and (
            self.start_time is None or self.end_time is None
        ):
            raise ValueError("`startTime` and `endTime` are required for a DAILY_TIME_WINDOW window")
        return self
