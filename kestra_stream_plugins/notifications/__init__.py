"""Notifications: Slack, Discord, Microsoft Teams and Google Chat webhooks, and SMTP mail.

Registered through the ``kestra_stream.plugins`` entry point (``notifications = ...:register``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestra_stream.plugins.base import Plugin
from kestra_stream_plugins.notifications import discord, google, mail, slack, teams

if TYPE_CHECKING:
    from kestra_stream.plugins.registry import PluginRegistry

# Kestra 1.2 split the notifications plugin per provider; the old names stay as aliases.
OLD = "io.kestra.plugin.notifications"
TASKS: tuple[tuple[str, str, type[Plugin]], ...] = (
    (
        "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
        f"{OLD}.slack.SlackIncomingWebhook",
        slack.SlackIncomingWebhook,
    ),
    (
        "io.kestra.plugin.slack.notifications.SlackExecution",
        f"{OLD}.slack.SlackExecution",
        slack.SlackExecution,
    ),
    (
        "io.kestra.plugin.discord.DiscordIncomingWebhook",
        f"{OLD}.discord.DiscordIncomingWebhook",
        discord.DiscordIncomingWebhook,
    ),
    (
        "io.kestra.plugin.discord.DiscordExecution",
        f"{OLD}.discord.DiscordExecution",
        discord.DiscordExecution,
    ),
    (
        "io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook",
        f"{OLD}.teams.TeamsIncomingWebhook",
        teams.TeamsIncomingWebhook,
    ),
    (
        "io.kestra.plugin.microsoft365.teams.TeamsExecution",
        f"{OLD}.teams.TeamsExecution",
        teams.TeamsExecution,
    ),
    (
        "io.kestra.plugin.googleworkspace.chat.GoogleChatIncomingWebhook",
        f"{OLD}.google.GoogleChatIncomingWebhook",
        google.GoogleChatIncomingWebhook,
    ),
    (
        "io.kestra.plugin.googleworkspace.chat.GoogleChatExecution",
        f"{OLD}.google.GoogleChatExecution",
        google.GoogleChatExecution,
    ),
    ("io.kestra.plugin.email.MailSend", f"{OLD}.mail.MailSend", mail.MailSend),
    ("io.kestra.plugin.email.MailExecution", f"{OLD}.mail.MailExecution", mail.MailExecution),
)


def register(registry: PluginRegistry) -> None:
    for type_name, alias, cls in TASKS:
        registry.add(cls, type_name, alias)
