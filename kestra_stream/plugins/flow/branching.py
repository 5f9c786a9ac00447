"""Conditional branches: ``If`` and ``Switch``."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator

from kestra_stream.models.payload import Payload
from kestra_stream.plugins.base import AnyTask, dynamic
from kestra_stream.plugins.flow._branches import WithHandlers, flow_type
from kestra_stream.plugins.registry import plugin


class IfOutputs(Payload):
    evaluation_result: bool


@plugin(*flow_type("If"))
class If(WithHandlers):
    condition: str = dynamic(description="Rendered once; false when `''`, `false`, `0` or `-0`.")
    then: list[AnyTask] = Field(min_length=1)
    else_: list[AnyTask] | None = Field(None, alias="else")
    outputs_model = IfOutputs


class SwitchOutputs(Payload):
    value: str
    defaults: bool


def _case_key(key: Any) -> str:
    # YAML reads `true:` as a boolean key; Kestra (Java) writes it back as "true".
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


@plugin(*flow_type("Switch"))
class Switch(WithHandlers):
    value: str = dynamic()
    cases: dict[str, list[AnyTask]] | None = None
    defaults: list[AnyTask] | None = Field(
        None,
        validation_alias=AliasChoices("defaults", "default"),
        serialization_alias="defaults",
        description="Run when no case matches (`default` is accepted as a typo found in the docs).",
    )
    outputs_model = SwitchOutputs

    @field_validator("cases", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_case_key(key): tasks for key, tasks in value.items()}
        return value
