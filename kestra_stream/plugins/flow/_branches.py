"""What most flowable tasks share: local ``errors`` and ``finally`` branches, old type names."""

from __future__ import annotations

from pydantic import Field

from kestra_stream.plugins.base import AnyTask, FlowableTask

_FLOW = "io.kestra.plugin.core.flow"
_PRE_017 = "io.kestra.core.tasks.flows"


def flow_type(name: str, *extra_aliases: str) -> tuple[str, ...]:
    """Canonical type of flowable ``name``, then its pre-0.17 name and ``extra_aliases``."""
    return (f"{_FLOW}.{name}", f"{_PRE_017}.{name}", *extra_aliases)


class WithHandlers(FlowableTask):
    errors: list[AnyTask] | None = Field(None, description="Run when a child fails definitively.")
    finally_: list[AnyTask] | None = Field(None, alias="finally", description="Always run at the end.")
