"""``io.kestra.plugin.notifications.google.GoogleChatIncomingWebhook`` and ``GoogleChatExecution``."""

from __future__ import annotations

from typing import Any, ClassVar

from kestra_stream.plugins.context import RunContext
from kestra_stream_plugins.notifications._summary import ExecutionSummary
from kestra_stream_plugins.notifications._webhook import ExecutionWebhook, IncomingWebhook


class GoogleChatIncomingWebhook(IncomingWebhook):
    """Send a Google Chat message using an Incoming Webhook: `payload` (JSON, e.g. `{"text": ...}`)
    is POSTed to `url`."""

    service: ClassVar[str] = "Google Chat"


class GoogleChatExecution(ExecutionWebhook):
    """Send a Google Chat message with the summary of an execution (Kestra's Google Chat template):
    namespace, flow, execution id, status, the failed task and duration, and a link to the UI."""

    service: ClassVar[str] = "Google Chat"

    def message(self, ctx: RunContext, summary: ExecutionSummary) -> dict[str, Any]:
        facts = ", ".join(f"{name} {value}" for name, value in summary.facts())
        text = (
            f"Kestra Google notification: {facts}. *<{summary.link}|{summary.headline}>*\n> {summary.outcome}"
        )
        if summary.custom_message:
            text = f"{summary.custom_message}\n{text}"
        return {"text": text}
