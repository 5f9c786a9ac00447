"""``io.kestra.plugin.notifications.discord.DiscordIncomingWebhook`` and ``DiscordExecution``."""

from __future__ import annotations

from typing import Any, ClassVar

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream_plugins.notifications._summary import ExecutionSummary
from kestra_stream_plugins.notifications._webhook import ExecutionWebhook, IncomingWebhook


class DiscordIncomingWebhook(IncomingWebhook):
    """Send a Discord message using an Incoming Webhook: `payload` (JSON with `content`, `embeds`...)
    is POSTed to `url`."""

    service: ClassVar[str] = "Discord"


class DiscordExecution(ExecutionWebhook):
    """Send a Discord message with the summary of an execution (Kestra's Discord template): an embed
    with namespace, flow, execution id and status, a footer with the failed task and duration, and a
    link to the execution in the UI."""

    service: ClassVar[str] = "Discord"
    username: str | None = dynamic(None)
    avatar_url: str | None = dynamic(None)
    content: str | None = dynamic(None)

    def message(self, ctx: RunContext, summary: ExecutionSummary) -> dict[str, Any]:
        description = "\n".join(f"{name}: {value}" for name, value in summary.facts())
        embed: dict[str, Any] = {
            "title": summary.headline,
            "url": summary.link,
            "description": description,
            "footer": {"text": summary.outcome},
        }
        message: dict[str, Any] = {"embeds": [embed]}
        content = [as_text(ctx.render(self.content))] if self.content is not None else []
        if summary.custom_message:
            content.append(summary.custom_message)
        if content:
            message["content"] = "\n".join(content)
        if self.username is not None:
            message["username"] = as_text(ctx.render(self.username))
        if self.avatar_url is not None:
            message["avatar_url"] = as_text(ctx.render(self.avatar_url))
        return message
