"""``flow.Template`` (deprecated since Kestra 0.11): recognised, and refused as Kestra 1.3.31 refuses it
with templates disabled (its default): kestra-stream has no templates API to enable them with."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from kestra_stream.plugins.flow._branches import WithHandlers, flow_type
from kestra_stream.plugins.registry import plugin

TEMPLATES_DISABLED = (
    "Templates are disabled, please check your configuration: kestra-stream has no templates API "
    "(`kestra.templates.enabled` is not supported); call the template's tasks as a Subflow instead "
    "(https://kestra.io/docs/migration-guide/v0.11.0/templates)"
)


@plugin(*flow_type("Template"))
class Template(WithHandlers):
    namespace: str
    template_id: str
    tenant_id: str | None = None
    args: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _templates_are_disabled(self) -> Template:
        raise ValueError(TEMPLATES_DISABLED)
