"""The ``Webhook`` trigger: ``/api/v1/main/executions/webhook/{namespace}/{flowId}/{key}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from kestra_stream.models.document import field_error
from kestra_stream.plugins.base import Trigger, dynamic
from kestra_stream.plugins.conditions.multiple import MultipleCondition
from kestra_stream.plugins.registry import plugin

MULTIPLE_CONDITION_FORBIDDEN = (
    "Webhook triggers cannot use a MultipleCondition (conditions are evaluated per request)"
)


class WebhookVariables(BaseModel):
    """What ``{{ trigger.* }}`` holds in an execution started by a webhook call."""

    body: Any = None
    headers: dict[str, list[str]] | None = None
    parameters: dict[str, list[str]] | None = None


@plugin(
    "io.kestra.plugin.core.trigger.Webhook",
    "io.kestra.core.models.triggers.types.Webhook",
)
class Webhook(Trigger):
    key: str = dynamic(max_length=256)
    inputs: dict[str, Any] | None = dynamic(None)
    wait: bool = False
    return_outputs: bool = False
    response_content_type: str = Field("application/json")
    outputs_model = WebhookVariables

    @model_validator(mode="after")
    def _no_multiple_condition(self) -> Webhook:
        for index, condition in enumerate(self.conditions or ()):
            if isinstance(condition, MultipleCondition):
                raise field_error(
                    "Webhook", ("conditions", index), MULTIPLE_CONDITION_FORBIDDEN, condition.type
                )
        return self
