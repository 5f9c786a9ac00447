"""Conditions on the upstream execution (Flow triggers, listeners)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from kestra_stream.models.labels import Labels
from kestra_stream.models.state import StateType
from kestra_stream.plugins.base import Condition, dynamic
from kestra_stream.plugins.conditions._aliases import condition_type
from kestra_stream.plugins.registry import plugin


@plugin(*condition_type("ExecutionFlow"))
class ExecutionFlow(Condition):
    namespace: str
    flow_id: str


class NamespaceComparison(StrEnum):
    EQUALS = "EQUALS"
    PREFIX = "PREFIX"
    SUFFIX = "SUFFIX"


@plugin(*condition_type("ExecutionNamespace"))
class ExecutionNamespace(Condition):
    namespace: str
    comparison: NamespaceComparison | None = None
    prefix: bool = False


@plugin(*condition_type("ExecutionStatus"))
class ExecutionStatus(Condition):
    in_: list[StateType] | None = Field(None, alias="in")
    not_in: list[StateType] | None = None

    @model_validator(mode="after")
    def _one_filter(self) -> ExecutionStatus:
        if self.in_ is None and self.not_in is None:
            raise ValueError("one of `in` or `notIn` is required")
        return self


@plugin(*condition_type("ExecutionLabels"))
class ExecutionLabels(Condition):
    labels: Labels


@plugin(*condition_type("ExecutionOutputs"))
class ExecutionOutputs(Condition):
    expression: str = dynamic()


@plugin(*condition_type("HasRetryAttempt"))
class HasRetryAttempt(Condition):
    in_: list[StateType] | None = Field(None, alias="in")
    not_in: list[StateType] | None = None


@plugin(
    "io.kestra.plugin.core.condition.FlowCondition", "io.kestra.core.models.conditions.types.FlowCondition"
)
class FlowCondition(Condition):
    """Deprecated: use ``ExecutionFlow``."""

    namespace: str
    flow_id: str


@plugin(
    "io.kestra.plugin.core.condition.FlowNamespaceCondition",
    "io.kestra.core.models.conditions.types.FlowNamespaceCondition",
)
class FlowNamespaceCondition(Condition):
    """Deprecated: use ``ExecutionNamespace``."""

    namespace: str
    prefix: bool = False
