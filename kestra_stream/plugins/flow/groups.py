"""Task groups: ``Sequential``, ``Parallel`` and ``AllowFailure``."""

from __future__ import annotations

from pydantic import Field

from kestra_stream.plugins.base import AnyTask
from kestra_stream.plugins.flow._branches import WithHandlers, flow_type
from kestra_stream.plugins.registry import plugin


@plugin(*flow_type("Sequential"))
class Sequential(WithHandlers):
    tasks: list[AnyTask] = Field(min_length=1)


@plugin(*flow_type("Parallel"))
class Parallel(WithHandlers):
    tasks: list[AnyTask] = Field(min_length=1)
    concurrent: int = Field(0, ge=0, description="Children running at once; 0 means no limit.")


@plugin(*flow_type("AllowFailure"))
class AllowFailure(WithHandlers):
    """A failing child stops the group, which ends WARNING; the flow goes on."""

    tasks: list[AnyTask] = Field(min_length=1)
