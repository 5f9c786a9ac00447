"""``io.kestra.plugin.notifications.teams.TeamsIncomingWebhook`` and ``TeamsExecution``."""

from __future__ import annotations

from typing import Any, ClassVar

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream_plugins.notifications._summary import ExecutionSummary
from kestra_stream_plugins.notifications._webhook import ExecutionWebhook, IncomingWebhook


class TeamsIncomingWebhook(IncomingWebhook):
    """Send a Microsoft Teams message using an Incoming Webhook (or a Workflows webhook): `payload`
    (a MessageCard or an Adaptive Card message, JSON) is POSTed to `url`."""

    service: ClassVar[str] = "Microsoft Teams"


class TeamsExecution(ExecutionWebhook):
    """Send a Microsoft Teams MessageCard with the summary of an execution (Kestra's Teams template):
    facts (namespace, flow, execution, status, labels, custom fields), the failed task and duration,
    and a button opening the execution in the UI."""

    service: ClassVar[str] = "Microsoft Teams"
    theme_color: str | None = dynamic(None)
    activity_title: str | None = dynamic(None)
    activity_subtitle: str | None = dynamic(None)

    def message(self, ctx: RunContext, summary: ExecutionSummary) -> dict[str, Any]:
        section: dict[str, Any] = {
            "facts": [{"name": name, "value": value} for name, value in summary.facts()],
            "markdown": True,
        }
        if self.activity_title is not None:
            section["activityTitle"] = as_text(ctx.render(self.activity_title))
        if self.activity_subtitle is not None:
            section["activitySubtitle"] = as_text(ctx.render(self.activity_subtitle))
        if summary.custom_message:
            section["text"] = summary.custom_message
        default_color = {"SUCCESS": "2EB886", "WARNING": "DAA038"}.get(summary.state, "A30200")
        return {
            "@type": "MessageCard",
            "@context": "http://schema.org/extensions",
            "themeColor": as_text(ctx.render(self.theme_color)) if self.theme_color else default_color,
            "summary": f"{summary.headline}: {summary.outcome}",
            "title": summary.headline,
            "sections": [section],
            "potentialAction": [
                {
                    "@type": "OpenUri",
                    "name": "Details",
                    "targets": [{"os": "default", "uri": summary.link}],
                }
            ],
        }
