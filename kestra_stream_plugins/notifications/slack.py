"""``io.kestra.plugin.notifications.slack.SlackIncomingWebhook`` and ``SlackExecution``."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import orjson

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream_plugins.notifications._summary import ExecutionSummary
from kestra_stream_plugins.notifications._webhook import ExecutionWebhook, IncomingWebhook


def slack_mrkdwn(text: str) -> str:
    """Markdown bold, italic and links in Slack's mrkdwn, as Kestra converts ``messageText``."""
    text = re.sub(r"\*\*(.*?)\*\*", r"*\1*", text)
    text = re.sub(r"__(.*?)__", r"_\1_", text)
    return re.sub(r"\[(.*?)\]\((.*?)\)", r"<\2|\1>", text)


class SlackIncomingWebhook(IncomingWebhook):
    """Send a Slack message using an Incoming Webhook: `payload` (JSON, e.g. `{"text": ...}` or
    `{"blocks": [...]}`) is POSTed to `url`; or `messageText`, JSON or markdown text sent as
    `{"text": ...}`. Works with any Slack-compatible webhook (Rocket.Chat...)."""

    service: ClassVar[str] = "Slack"
    message_text: str | None = dynamic(None)

    def body(self, ctx: RunContext) -> bytes:
        if self.payload is not None or self.message_text is None:
            return super().body(ctx)
        text = as_text(ctx.render(self.message_text))
        try:
            return orjson.dumps(orjson.loads(text))
        except orjson.JSONDecodeError:
            return orjson.dumps({"text": slack_mrkdwn(text)})


class SlackExecution(ExecutionWebhook):
    """Send a Slack message with the summary of an execution (Kestra's Slack template): a link to the
    execution in the UI (`kestra.url`), its state, duration and failed task, namespace, flow, labels
    and `customFields`. Use it in `errors` or `afterExecution`, or in a flow with a Flow trigger."""

    service: ClassVar[str] = "Slack"
    channel: str | None = dynamic(None)
    username: str | None = dynamic(None)
    icon_url: str | None = dynamic(None)
    icon_emoji: str | None = dynamic(None)

    def message(self, ctx: RunContext, summary: ExecutionSummary) -> dict[str, Any]:
        headline = f"*<{summary.link}|{summary.headline}>*\n> {summary.outcome}"
        blocks: list[dict[str, Any]] = []
        if summary.custom_message:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": summary.custom_message}})
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": headline},
                "accessory": {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Details"},
                    "url": summary.link,
                },
            }
        )
        color = {"SUCCESS": "good", "WARNING": "warning"}.get(summary.state, "danger")
        attachment: dict[str, Any] = {
            "color": color,
            "fields": [{"title": title, "value": value, "short": True} for title, value in summary.facts()],
        }
        if summary.start_epoch is not None:
            attachment["ts"] = int(summary.start_epoch)
        message: dict[str, Any] = {"text": headline, "blocks": blocks, "attachments": [attachment]}
        for key, value in (
            ("channel", self.channel),
            ("username", self.username),
            ("icon_url", self.icon_url),
            ("icon_emoji", self.icon_emoji),
        ):
            if value is not None:
                message[key] = as_text(ctx.render(value))
        return message
