"""``MultipleCondition``: named conditions that must all have been true within a time window."""

from __future__ import annotations

from pydantic import Field

from kestra_stream.models.durations import Duration
from kestra_stream.plugins.base import ID_PATTERN, AnyCondition, Condition
from kestra_stream.plugins.conditions._aliases import condition_type
from kestra_stream.plugins.conditions.time_window import TimeWindow
from kestra_stream.plugins.registry import plugin


@plugin(*condition_type("MultipleCondition"))
class MultipleCondition(Condition):
    id: str = Field(pattern=ID_PATTERN)
    conditions: dict[str, AnyCondition] = Field(min_length=1)
    time_window: TimeWindow | None = None
    window: Duration | None = Field(None, description="Deprecated: use `timeWindow.window`.")
    window_advance: Duration | None = Field(None, description="Deprecated: use `timeWindow.windowAdvance`.")
    reset_on_success: bool = True
