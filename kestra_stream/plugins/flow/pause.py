"""``Pause``: waits for a manual resume (with typed ``onResume`` inputs) or for a duration."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, Field, model_validator

from kestra_stream.inputs.model import AnyInput
from kestra_stream.models.durations import DynamicDuration
from kestra_stream.models.payload import Payload
from kestra_stream.plugins.base import AnyTask, dynamic
from kestra_stream.plugins.flow._branches import WithHandlers, flow_type
from kestra_stream.plugins.registry import plugin


class PauseBehavior(StrEnum):
    RESUME = "RESUME"
    WARN = "WARN"
    FAIL = "FAIL"
    CANCEL = "CANCEL"


class Resumed(Payload):
    by: str | None = None
    on: str | None = None
    to: str | None = None


class PauseOutputs(Payload):
    on_resume: dict[str, Any] | None = None
    resumed: Resumed | None = None


@plugin(*flow_type("Pause"))
class Pause(WithHandlers):
    pause_duration: DynamicDuration | None = dynamic(
        None,
        validation_alias=AliasChoices("pauseDuration", "delay", "pause_duration"),
        serialization_alias="pauseDuration",
        description="Resume automatically after this long (`delay` before 0.20).",
    )
    behavior: PauseBehavior = PauseBehavior.RESUME
    on_resume: list[AnyInput] | None = None
    on_pause: AnyTask | None = None
    tasks: list[AnyTask] | None = Field(None, description="Deprecated.")
    outputs_model = PauseOutputs

    @model_validator(mode="before")
    @classmethod
    def _not_both_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and "delay" in data and "pauseDuration" in data:
            raise ValueError("use `pauseDuration` only (`delay` is its old name)")
        return data
