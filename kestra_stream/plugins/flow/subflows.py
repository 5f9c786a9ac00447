"""Executable tasks creating child executions: ``Subflow`` and ``ForEachItem``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from kestra_stream.models.document import KestraModel
from kestra_stream.models.labels import Labels
from kestra_stream.models.payload import Payload
from kestra_stream.models.state import StateType
from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.flow._branches import WithHandlers, flow_type
from kestra_stream.plugins.registry import plugin


class RestartBehavior(StrEnum):
    RETRY_FAILED = "RETRY_FAILED"
    NEW_EXECUTION = "NEW_EXECUTION"


class SubflowOutputs(Payload):
    execution_id: str
    state: StateType | None = None
    outputs: dict[str, Any] | None = None


@plugin(
    *flow_type("Subflow"),
    "io.kestra.core.tasks.flows.Flow",
    "io.kestra.plugin.core.flow.Flow",
)
class Subflow(WithHandlers):
    namespace: str = dynamic()
    flow_id: str = dynamic()
    revision: int | None = Field(None, ge=1)
    inputs: dict[str, Any] | None = dynamic(None)
    labels: Labels | None = dynamic(None)
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False
    schedule_date: str | None = dynamic(None)
    restart_behavior: RestartBehavior = RestartBehavior.RETRY_FAILED
    outputs: dict[str, Any] | None = dynamic(None, description="Deprecated since 0.15: use flow outputs.")
    outputs_model = SubflowOutputs


class Batch(KestraModel):
    """How ForEachItem splits its items; as in Kestra, several sizes may be set and the first of
    ``bytes``, ``partitions``, ``rows`` wins (the Split task's precedence)."""

    rows: int | None = Field(None, ge=1)
    bytes: str | None = None
    partitions: int | None = Field(None, ge=1)
    separator: str = "\n"


class ForEachItemSubflow(KestraModel):
    """The pre-0.15 way of naming the child flow, under ``subflow``."""

    namespace: str
    flow_id: str
    inputs: dict[str, Any] | None = None
    labels: Labels | None = None
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False


@plugin(*flow_type("ForEachItem"))
class ForEachItem(WithHandlers):
    items: str = dynamic(description="Internal-storage URI of the file to split.")
    batch: Batch = Field(default_factory=lambda: Batch(rows=1, bytes=None, partitions=None))
    namespace: str | None = dynamic(None)
    flow_id: str | None = dynamic(None)
    revision: int | None = Field(None, ge=1)
    inputs: dict[str, Any] | None = dynamic(None)
    labels: Labels | None = dynamic(None)
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False
    schedule_date: str | None = dynamic(None)
    restart_behavior: RestartBehavior = RestartBehavior.RETRY_FAILED
    subflow: ForEachItemSubflow | None = None

    @model_validator(mode="after")
    def _names_a_flow(self) -> ForEachItem:
        if self.subflow is None and (self.namespace is None or self.flow_id is None):
            raise ValueError("`namespace` and `flowId` are required")
        if self.subflow is not None and (self.namespace is not None or self.flow_id is not None):
            raise ValueError("use either `subflow` or `namespace`/`flowId`, not both")
        return self

    @property
    def target_namespace(self) -> str:
        return self.subflow.namespace if self.subflow is not None else str(self.namespace)

    @property
    def target_flow_id(self) -> str:
        return self.subflow.flow_id if self.subflow is not None else str(self.flow_id)
