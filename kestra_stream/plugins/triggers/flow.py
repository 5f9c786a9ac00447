"""The ``Flow`` trigger: starts an execution when other executions reach some state."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from kestra_stream.models.document import KestraModel
from kestra_stream.models.labels import Labels
from kestra_stream.models.state import StateType
from kestra_stream.plugins.base import ID_PATTERN, Trigger, dynamic
from kestra_stream.plugins.conditions.time_window import TimeWindow
from kestra_stream.plugins.registry import plugin


class UpstreamFlow(KestraModel):
    namespace: str
    flow_id: str | None = None
    states: list[StateType] | None = None
    labels: Labels | None = None


class FilterField(StrEnum):
    FLOW_ID = "FLOW_ID"
    NAMESPACE = "NAMESPACE"
    STATE = "STATE"
    EXPRESSION = "EXPRESSION"


class FilterType(StrEnum):
    EQUAL_TO = "EQUAL_TO"
    NOT_EQUAL_TO = "NOT_EQUAL_TO"
    IN = "IN"
    NOT_IN = "NOT_IN"
    IS_TRUE = "IS_TRUE"
    IS_FALSE = "IS_FALSE"
    IS_NULL = "IS_NULL"
    IS_NOT_NULL = "IS_NOT_NULL"
    STARTS_WITH = "STARTS_WITH"
    ENDS_WITH = "ENDS_WITH"
    REGEX = "REGEX"
    CONTAINS = "CONTAINS"


class Operand(StrEnum):
    AND = "AND"
    OR = "OR"


class Filter(KestraModel):
    field: FilterField
    type: FilterType
    value: str | None = None
    values: list[str] | None = None


class Where(KestraModel):
    id: str = Field(pattern=ID_PATTERN)
    operand: Operand = Operand.AND
    filters: list[Filter] = Field(min_length=1)


class Preconditions(KestraModel):
    id: str = Field(pattern=ID_PATTERN)
    flows: list[UpstreamFlow] | None = None
    where: list[Where] | None = None
    time_window: TimeWindow | None = None
    reset_on_success: bool = True


class FlowTriggerVariables(BaseModel):
    """What ``{{ trigger.* }}`` holds in an execution started by a Flow trigger."""

    execution_id: str
    namespace: str
    flow_id: str
    flow_revision: int
    state: StateType
    outputs: dict[str, Any] | None = None


@plugin(
    "io.kestra.plugin.core.trigger.Flow",
    "io.kestra.core.models.triggers.types.Flow",
)
class FlowTrigger(Trigger):
    inputs: dict[str, Any] | None = dynamic(None)
    states: list[StateType] | None = None
    preconditions: Preconditions | None = None
    outputs_model = FlowTriggerVariables
