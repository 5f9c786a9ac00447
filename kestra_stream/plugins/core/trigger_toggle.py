"""``trigger.Toggle``: enable or disable a trigger, as the API does (a trigger command for the
scheduler that owns the trigger)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._search import rendered
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.control import control_plane
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.scheduler.messages import TriggerCommand, TriggerCommandType


@plugin("io.kestra.plugin.core.trigger.Toggle", "io.kestra.core.tasks.trigger.Toggle")
class Toggle(RunnableTask):
    flow_id: str | None = dynamic(None)
    """Defaults to the current flow."""
    namespace: str | None = dynamic(None)
    """Defaults to the current flow's namespace."""
    trigger: str = dynamic()
    enabled: bool = False

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        from kestra_stream.flows import all_triggers, parse_flow

        control = control_plane(ctx)
        flow_variables = ctx.variables.get("flow") or {}
        namespace = rendered(ctx, self.namespace) or str(flow_variables.get("namespace"))
        flow_id = rendered(ctx, self.flow_id) or str(flow_variables.get("id"))
        trigger_id = rendered(ctx, self.trigger) or ""
        tenant = flow_variables.get("tenantId")
        record = control.find_flow(namespace, flow_id, tenant=tenant)
        if record is None or record.source is None:
            raise TaskFailure(
                f"Unable to find flow {namespace}.{flow_id}. Make sure the flow exists and the current "
                "execution is authorized to access it."
            )
        flow = parse_flow(record.source)
        if not any(located.plugin.id == trigger_id for located in all_triggers(flow)):
            raise TaskFailure(f"Unable to find trigger {trigger_id} for the flow {namespace}.{flow_id}")
        control.send_trigger_command(
            TriggerCommand(
                command=TriggerCommandType.SET_DISABLED,
                tenant_id=tenant or "main",
                namespace=namespace,
                flow_id=flow_id,
                trigger_id=trigger_id,
                disabled=not self.enabled,
                date=datetime.now(UTC),
            )
        )
        ctx.logger.info(
            f"Trigger {namespace}.{flow_id}.{trigger_id} {'enabled' if self.enabled else 'disabled'}"
        )
        return {}
