"""Loops: ``ForEach`` (and its deprecated ``EachSequential``/``EachParallel``), ``Loop`` and ``LoopUntil``."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from kestra_stream.flows.model import FlowOutput
from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import Duration
from kestra_stream.models.payload import Payload
from kestra_stream.plugins.base import AnyTask, dynamic
from kestra_stream.plugins.flow._branches import WithHandlers, flow_type
from kestra_stream.plugins.registry import plugin

LoopValues = list[Any] | str
"""A YAML list, a JSON array string, or an expression rendering to a list."""


@plugin(*flow_type("ForEach"))
class ForEach(WithHandlers):
    values: LoopValues = dynamic()
    concurrency_limit: int = Field(1, ge=0, description="Iteration groups at once; 0 means all.")
    tasks: list[AnyTask] = Field(min_length=1)


@plugin(*flow_type("EachSequential"))
class EachSequential(WithHandlers):
    """Deprecated: ``ForEach`` with ``concurrencyLimit: 1``."""

    value: LoopValues = dynamic()
    tasks: list[AnyTask] = Field(min_length=1)


@plugin(*flow_type("EachParallel"))
class EachParallel(WithHandlers):
    """Deprecated: ``ForEach`` with ``concurrencyLimit: <concurrent>``."""

    value: LoopValues = dynamic()
    concurrent: int = Field(0, ge=0)
    tasks: list[AnyTask] = Field(min_length=1)


class CheckFrequency(KestraModel):
    max_iterations: int | None = Field(None, ge=1)
    max_duration: Duration | None = None
    interval: Duration = timedelta(minutes=1)


class LoopUntilOutputs(Payload):
    iteration_count: int


@plugin(*flow_type("LoopUntil"), "io.kestra.plugin.core.flow.WaitFor")
class LoopUntil(WithHandlers):
    condition: str = dynamic(description="Checked after each iteration; the loop stops once it is true.")
    tasks: list[AnyTask] = Field(min_length=1)
    check_frequency: CheckFrequency = Field(default_factory=lambda: CheckFrequency(max_iterations=None))
    fail_on_max_reached: bool = False
    outputs_model = LoopUntilOutputs


class LoopFetchType(StrEnum):
    AUTO = "AUTO"
    FETCH = "FETCH"
    STORE = "STORE"


class LoopOutputs(Payload):
    iteration_count: int
    terminated_iterations: dict[str, int] | None = None
    outputs: list[dict[str, Any]] | None = None


@plugin(*flow_type("Loop"))
class Loop(WithHandlers):
    """Runs ``tasks`` once per item of ``values``, each iteration in its own output scope.

    The current item is ``{{ item.value }}`` (``item.index``, ``item.key`` for a map, ``item.parent``
    and ``item.parents`` in nested loops). Outputs of the tasks of an iteration are visible inside it
    as plain ``outputs.<task>``, and outside only through the declared ``outputs``.
    """

    values: Any = dynamic()
    concurrency_limit: int = Field(0, ge=0, description="Iterations at once; 0 means all.")
    transmit_failed: bool = True
    outputs: list[FlowOutput] | None = None
    fetch_type: LoopFetchType = LoopFetchType.AUTO
    break_when: str | None = dynamic(None)
    tasks: list[AnyTask] = Field(min_length=1)
    outputs_model = LoopOutputs

    @field_validator("fetch_type")
    @classmethod
    def _fetch_only(cls, fetch_type: LoopFetchType) -> LoopFetchType:
        if fetch_type is LoopFetchType.STORE:
            raise ValueError(
                "`fetchType: STORE` is not implemented in kestra-stream: iteration outputs stay in the "
                "execution (use FETCH, or AUTO which fetches them here)"
            )
        return fetch_type
