"""Real servers the notification tasks talk to: an HTTP webhook receiver that checks each service's
documented payload shape, and an SMTP server (aiosmtpd) that receives and parses the mails."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from .server_local import free_port


def _check_slack(payload: dict[str, Any]) -> None:
    # api.slack.com/messaging/webhooks: `text` and/or `blocks` (Block Kit), optional attachments.
    assert isinstance(payload.get("text"), str) or isinstance(payload.get("blocks"), list), payload
    for block in payload.get("blocks", []):
        assert block["type"] in {"section", "divider", "header", "context", "actions", "image"}, block
        if "text" in block:
            assert block["text"]["type"] in {"mrkdwn", "plain_text"} and isinstance(
                block["text"]["text"], str
            )
    for attachment in payload.get("attachments", []):
        for item in attachment.get("fields", []):
            assert set(item) <= {"title", "value", "short"} and isinstance(item["value"], str), item


def _check_discord(payload: dict[str, Any]) -> None:
    # discord.com/developers/docs/resources/webhook#execute-webhook: content (<= 2000) or embeds (<= 10).
    assert payload.get("content") or payload.get("embeds"), payload
    assert len(payload.get("content") or "") <= 2000
    assert len(payload.get("embeds", [])) <= 10
    for embed in payload.get("embeds", []):
        assert set(embed) <= {
            "title",
            "type",
            "description",
            "url",
            "timestamp",
            "color",
            "footer",
            "image",
            "thumbnail",
            "video",
            "provider",
            "author",
            "fields",
        }, embed
        if "footer" in embed:
            assert isinstance(embed["footer"]["text"], str)


def _check_teams(payload: dict[str, Any]) -> None:
    # Office 365 connector MessageCard: @type, @context, summary or text; sections of facts.
    if payload.get("type") == "message":  # Adaptive Card form
        assert payload["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
        return
    assert payload["@type"] == "MessageCard" and payload["@context"] == "http://schema.org/extensions"
    assert payload.get("summary") or payload.get("text"), payload
    for section in payload.get("sections", []):
        for fact in section.get("facts", []):
            assert set(fact) == {"name", "value"}, fact


def _check_google_chat(payload: dict[str, Any]) -> None:
    # developers.google.com/workspace/chat/quickstart/webhooks: a Message with `text` or `cardsV2`.
    assert isinstance(payload.get("text"), str) or isinstance(payload.get("cardsV2"), list), payload


CHECKS = {
    "slack": _check_slack,
    "discord": _check_discord,
    "teams": _check_teams,
    "google": _check_google_chat,
}
SECRET_PATH = "T000/B000/s3cr3t-webhook-token"


@dataclass
class WebhookReceiver:
    base_url: str
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def url(self, service: str, status: int = 200) -> str:
        """The webhook URL of a service (its path holds a fake credential, as real ones do)."""
        return f"{self.base_url}/{service}/{status}/{SECRET_PATH}"

    def payloads(self, service: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.received if name == service]


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    port = free_port()
    receiver = WebhookReceiver(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            service, status = self.path.strip("/").split("/")[:2]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                assert self.headers.get("Content-Type", "").startswith("application/json")
                payload = json.loads(body)
                CHECKS[service](payload)
                receiver.received.append((service, payload))
            except (AssertionError, ValueError, KeyError, TypeError) as error:
                receiver.errors.append(f"{service}: {error!r} in {body[:500]!r}")
                status = "400"
            self.send_response(int(status))
            self.end_headers()
            self.wfile.write(b"ok" if status == "200" else b"invalid_payload")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpServer:
    host: str
    port: int
    username: str
    password: str
    ca_file: Path | None
    messages: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope, parsed))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == self.username and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(tmp_path: Path, *, tls: str | None = None) -> Iterator[SmtpServer]:
    """``tls``: None (plain SMTP + AUTH), ``"smtps"`` (TLS from the first byte) or ``"starttls"``."""
    ca_file: Path | None = None
    contexts: dict[str, Any] = {}
    if tls is not None:
        ca = trustme.CA()
        ca_file = tmp_path / "smtp-ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        contexts = (
            {"ssl_context": context} if tls == "smtps" else {"tls_context": context, "require_starttls": True}
        )
    server = SmtpServer(
        host="127.0.0.1", port=free_port(), username="mailer", password="p4ss-w0rd", ca_file=ca_file
    )
    controller = Controller(
        server,
        hostname=server.host,
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=tls == "starttls",
        **contexts,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
