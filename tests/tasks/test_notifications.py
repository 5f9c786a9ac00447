"""kestra_stream_plugins.notifications against real servers: an HTTP receiver checking each chat
service's documented payload shape, and aiosmtpd receiving and parsing the mails (plain SMTP with
AUTH, SMTPS and STARTTLS with a test CA)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, run_task
from kestra_stream.storage import LocalStorage
from tests.plugin_families.receivers import (
    SECRET_PATH,
    SmtpServer,
    WebhookReceiver,
    smtp_server,
    webhook_receiver,
)

from .conftest import MakeContext
from .test_basic_tasks import task

N = "io.kestra.plugin.notifications"
STARTED = datetime.now(UTC) - timedelta(seconds=5)
FAILED_RUN: dict[str, Any] = {
    "execution": {"id": "exec1", "startDate": STARTED.isoformat(), "state": "RUNNING"},
    "labels": {"team": "data"},
    "tasks": {"extract": {"state": "SUCCESS"}, "load": {"state": "FAILED"}},
    "kestra": {"url": "https://kestra.example.com/"},
}
LINK = "https://kestra.example.com/ui/main/executions/company.team/flow/exec1"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


@pytest.mark.parametrize(
    ("service", "type_name", "payload"),
    [
        ("slack", "slack.SlackIncomingWebhook", '{"text": "Hello from the workflow {{ flow.id }}"}'),
        ("discord", "discord.DiscordIncomingWebhook", '{"content": "Hello from {{ flow.id }}"}'),
        (
            "teams",
            "teams.TeamsIncomingWebhook",
            '{"@type": "MessageCard", "@context": "http://schema.org/extensions",'
            ' "text": "Hi {{ flow.id }}"}',
        ),
        ("google", "google.GoogleChatIncomingWebhook", '{"text": "Hello from {{ flow.id }}"}'),
    ],
)
def test_incoming_webhooks_post_the_rendered_payload(
    service: str, type_name: str, payload: str, receiver: WebhookReceiver, ctx: TaskRunContext
) -> None:
    run_task(task({"type": f"{N}.{type_name}", "url": receiver.url(service), "payload": payload}), ctx)
    assert not receiver.errors
    (received,) = receiver.payloads(service)
    assert "flow" in (received.get("text") or received.get("content"))


def test_slack_execution_renders_kestras_summary(
    receiver: WebhookReceiver, make_context: MakeContext
) -> None:
    ctx = make_context(FAILED_RUN)
    slack = task(
        {
            "type": f"{N}.slack.SlackExecution",
            "url": receiver.url("slack"),
            "channel": "#alerts",
            "username": "Kestra",
            "customMessage": "Nightly load of {{ flow.id }}",
            "customFields": {"Env": "prod"},
        }
    )
    run_task(slack, ctx)
    assert not receiver.errors
    (message,) = receiver.payloads("slack")
    assert message["channel"] == "#alerts" and message["username"] == "Kestra"
    assert message["text"].startswith(
        f"*<{LINK}|[company.team] flow ➛ RUNNING>*\n> Failed on task `load` after "
    )
    assert message["blocks"][0]["text"]["text"] == "Nightly load of flow"
    assert message["blocks"][1]["accessory"]["url"] == LINK
    fields = {item["title"]: item["value"] for item in message["attachments"][0]["fields"]}
    assert fields == {
        "Namespace": "company.team",
        "Job": "flow",
        "Execution": "exec1",
        "Status": "RUNNING",
        "Label team": "data",
        "Env": "prod",
    }
    assert message["attachments"][0]["ts"] == int(STARTED.timestamp())


@pytest.mark.parametrize("service", ["discord", "teams", "google"])
def test_execution_summaries_of_discord_teams_and_google_chat(
    service: str, receiver: WebhookReceiver, make_context: MakeContext
) -> None:
    type_name = {"discord": "discord.DiscordExecution", "teams": "teams.TeamsExecution"}.get(
        service, "google.GoogleChatExecution"
    )
    run_task(task({"type": f"{N}.{type_name}", "url": receiver.url(service)}), make_context(FAILED_RUN))
    assert not receiver.errors
    (message,) = receiver.payloads(service)
    text = str(message)
    assert LINK in text and "Failed on task `load` after 0:" in text and "company.team" in text


def test_a_rejected_or_unreachable_webhook_fails_without_printing_the_url(
    receiver: WebhookReceiver, ctx: TaskRunContext, sink: CollectingSink
) -> None:
    rejected = task(
        {
            "type": f"{N}.slack.SlackIncomingWebhook",
            "url": receiver.url("slack", 404),
            "payload": '{"text": "x"}',
        }
    )
    with pytest.raises(TaskFailure, match="answered 404") as failure:
        run_task(rejected, ctx)
    assert SECRET_PATH not in str(failure.value)
    unreachable = task(
        {
            "type": f"{N}.discord.DiscordIncomingWebhook",
            "url": f"http://127.0.0.1:9/{SECRET_PATH}",
            "payload": "{}",
        }
    )
    with pytest.raises(TaskFailure, match=r"cannot reach the webhook at http://127\.0\.0\.1:9") as failure:
        run_task(unreachable, ctx)
    assert SECRET_PATH not in str(failure.value)
    assert all(SECRET_PATH not in message for message in sink.messages())


def test_an_invalid_json_payload_fails_clearly(receiver: WebhookReceiver, ctx: TaskRunContext) -> None:
    bad = task(
        {"type": f"{N}.slack.SlackIncomingWebhook", "url": receiver.url("slack"), "payload": "{text: 1"}
    )
    with pytest.raises(TaskFailure, match="`payload` is not valid JSON"):
        run_task(bad, ctx)
    assert not receiver.received


def _mail(server: SmtpServer, strategy: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": f"{N}.mail.MailSend",
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "password": server.password,
        "transportStrategy": strategy,
        "from": "kestra@example.com",
        "to": "ops@example.com; data@example.com",
        "cc": "boss@example.com",
        "subject": "Report of {{ flow.id }}",
        **extra,
    }


def test_mail_send_over_smtp_with_auth_html_text_and_an_attachment(
    tmp_path: Path, make_context: MakeContext, local_storage: LocalStorage
) -> None:
    uri = local_storage.put("/company/team/flow/executions/exec1/tasks/t/r/report.csv", b"a,b\n1,2\n")
    with smtp_server(tmp_path) as server:
        mail = _mail(
            server,
            "SMTP",
            htmlTextContent="<b>Done</b> {{ execution.id }}",
            plainTextContent="Done {{ execution.id }}",
            attachments=[{"name": "report.csv", "uri": uri, "contentType": "text/csv"}],
        )
        run_task(task(mail), make_context())
    ((envelope, message),) = server.messages
    assert sorted(envelope.rcpt_tos) == ["boss@example.com", "data@example.com", "ops@example.com"]
    assert message["Subject"] == "Report of flow" and message["Cc"] == "boss@example.com"
    html = message.get_body(preferencelist=("html",))
    plain = message.get_body(preferencelist=("plain",))
    assert html is not None and "<b>Done</b> exec1" in html.get_content()
    assert plain is not None and plain.get_content().strip() == "Done exec1"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "report.csv" and attachment.get_content_type() == "text/csv"
    assert attachment.get_content() == "a,b\n1,2\n"


@pytest.mark.parametrize(("tls", "strategy"), [("smtps", "SMTPS"), ("starttls", "SMTP_TLS")])
def test_mail_execution_over_tls(
    tls: str, strategy: str, tmp_path: Path, make_context: MakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path, tls=tls) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        mail = _mail(server, strategy, type=f"{N}.mail.MailExecution", customMessage="Nightly load")
        mail.pop("subject")
        run_task(task(mail), make_context(FAILED_RUN))
    ((_, message),) = server.messages
    assert message["Subject"] == "Kestra execution [company.team] flow ➛ RUNNING"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content()
    assert LINK in content and "Failed on task `load` after 0:" in content and "Nightly load" in content


def test_bad_credentials_and_unreachable_smtp_fail_without_the_password(
    tmp_path: Path, ctx: TaskRunContext, sink: CollectingSink
) -> None:
    with smtp_server(tmp_path) as server:
        wrong = task({**_mail(server, "SMTP"), "password": "not-the-password"})
        with pytest.raises(TaskFailure, match="rejected the credentials of `mailer`: 535") as failure:
            run_task(wrong, ctx)
        assert "not-the-password" not in str(failure.value)
        assert not server.messages
    unreachable = task({**_mail(server, "SMTP"), "port": server.port})  # stopped now
    with pytest.raises(TaskFailure, match=f"cannot send the mail through 127.0.0.1:{server.port}"):
        run_task(unreachable, ctx)
    assert all(
        server.password not in message and "not-the-password" not in message for message in sink.messages()
    )
