"""``io.kestra.plugin.notifications.mail.MailSend`` and ``MailExecution`` over SMTP.

``transportStrategy`` is Simple Java Mail's: ``SMTP`` (plain, STARTTLS if offered is not forced),
``SMTPS`` (TLS from the first byte, Kestra's default), ``SMTP_TLS`` (STARTTLS required). Certificates
are verified against the system's trust store (``SSL_CERT_FILE`` can point at another one).
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import getaddresses
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
from pydantic import Field

from kestra_stream.models.document import KestraModel
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.notifications._summary import ExecutionNotification, ExecutionSummary

DEFAULT_PLAIN_TEXT = "Please view this email in a modern email client"


class TransportStrategy(StrEnum):
    SMTP = "SMTP"
    SMTPS = "SMTPS"
    SMTP_TLS = "SMTP_TLS"
    SMTP_OAUTH2 = "SMTP_OAUTH2"


class Attachment(KestraModel):
    uri: str = dynamic()
    name: str = dynamic()
    content_type: str = dynamic("application/octet-stream")


def _addresses(value: str) -> list[str]:
    """Kestra's address lists: separated by `;` (or `,`), each RFC 2822."""
    return [address for _, address in getaddresses([value.replace(";", ",")]) if address]


class MailSend(RunnableTask):
    """Send an email over SMTP: `host`, `port`, `username`/`password`, `transportStrategy`, `from`,
    `to`/`cc` (separated by `;`), `subject`, `htmlTextContent` and/or `plainTextContent`, and
    `attachments` / `embeddedImages` read from internal storage (`kestra://` URIs)."""

    host: str | None = dynamic(None)
    port: int | str | None = dynamic(None)
    username: str | None = dynamic(None)
    password: str | None = dynamic(None)
    transport_strategy: TransportStrategy | str = dynamic(TransportStrategy.SMTPS)
    session_timeout: int | str = dynamic(10000)
    from_: str | None = dynamic(None, alias="from")
    to: str | None = dynamic(None)
    cc: str | None = dynamic(None)
    subject: str | None = dynamic(None)
    html_text_content: str | None = dynamic(None)
    plain_text_content: str | None = dynamic(None)
    attachments: list[Attachment] | str | None = dynamic(None)
    embedded_images: list[Attachment] | str | None = dynamic(None)

    def _text(self, ctx: RunContext, value: Any) -> str | None:
        rendered = ctx.render(value)
        return None if rendered is None else as_text(rendered)

    def contents(self, ctx: RunContext) -> tuple[str | None, str | None, str | None]:
        """Subject, HTML body and plain-text body."""
        return (
            self._text(ctx, self.subject),
            self._text(ctx, self.html_text_content),
            self._text(ctx, self.plain_text_content),
        )

    def _attachments(
        self, ctx: RunContext, value: list[Attachment] | str | None, what: str
    ) -> list[Attachment]:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        rendered = ctx.render(value)
        if isinstance(rendered, str):
            if not rendered.strip():
                return []
            try:
                rendered = orjson.loads(rendered)
                if isinstance(rendered, str):  # Kestra accepts a JSON string holding the JSON list
                    rendered = orjson.loads(rendered)
            except orjson.JSONDecodeError as error:
                raise TaskFailure(f"`{what}` must be a list of {{name, uri, contentType}}: {error}") from None
        if not isinstance(rendered, list):
            raise TaskFailure(f"`{what}` must be a list of {{name, uri, contentType}}")
        return [Attachment.model_validate(item) for item in rendered]

    def _read(self, ctx: RunContext, attachment: Attachment) -> tuple[str, str, bytes]:
        name = as_text(ctx.render(attachment.name))
        uri = as_text(ctx.render(attachment.uri))
        content_type = as_text(ctx.render(attachment.content_type))
        target = ctx.working_dir / f".mail-{len(list(ctx.working_dir.iterdir()))}"
        try:
            data = Path(ctx.get_file(uri, target)).read_bytes()
        except Exception as error:
            raise TaskFailure(f"cannot read the attachment `{name}` from {uri}: {error}") from None
        return name, content_type, data

    def build(self, ctx: RunContext) -> EmailMessage:
        sender = self._text(ctx, self.from_)
        to = self._text(ctx, self.to)
        if not sender or not to:
            raise TaskFailure(f"{self.plugin_type}: `from` and `to` are required")
        subject, html_body, plain_body = self.contents(ctx)
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(_addresses(to))
        cc = self._text(ctx, self.cc)
        if cc:
            message["Cc"] = ", ".join(_addresses(cc))
        if subject is not None:
            message["Subject"] = subject
        message.set_content(plain_body if plain_body is not None else DEFAULT_PLAIN_TEXT)
        if html_body is not None:
            message.add_alternative(html_body, subtype="html")
            images = self._attachments(ctx, self.embedded_images, "embeddedImages")
            html_part = message.get_body(preferencelist=("html",))
            assert isinstance(html_part, EmailMessage)
            for image in images:
                name, content_type, data = self._read(ctx, image)
                maintype, _, subtype = content_type.partition("/")
                html_part.add_related(
                    data, maintype=maintype, subtype=subtype or "octet-stream", cid=f"<{name}>"
                )
        for attachment in self._attachments(ctx, self.attachments, "attachments"):
            name, content_type, data = self._read(ctx, attachment)
            maintype, _, subtype = content_type.partition("/")
            message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
        return message

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        message = self.build(ctx)
        host = self._text(ctx, self.host)
        if not host:
            raise TaskFailure(f"{self.plugin_type}: `host` is required")
        strategy = TransportStrategy(as_text(ctx.render(self.transport_strategy)).upper())
        if strategy is TransportStrategy.SMTP_OAUTH2:
            raise TaskFailure("transportStrategy SMTP_OAUTH2 is not implemented: use SMTP, SMTPS or SMTP_TLS")
        port_text = self._text(ctx, self.port)
        port = int(port_text) if port_text else (465 if strategy is TransportStrategy.SMTPS else 25)
        timeout = int(as_text(ctx.render(self.session_timeout))) / 1000
        username, password = self._text(ctx, self.username), self._text(ctx, self.password)
        recipients = [
            address for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
        ]
        ctx.logger.debug(f"Sending an email to {', '.join(recipients)}")
        where = f"{host}:{port} ({strategy.value})"
        try:
            smtp: smtplib.SMTP
            if strategy is TransportStrategy.SMTPS:
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            with smtp:
                if strategy is TransportStrategy.SMTP_TLS:
                    smtp.starttls(context=ssl.create_default_context())
                if username:
                    smtp.login(username, password or "")
                smtp.send_message(message, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as error:
            raise TaskFailure(
                f"SMTP server {where} rejected the credentials of `{username}`: {_reply(error)}"
            ) from None
        except smtplib.SMTPResponseException as error:
            raise TaskFailure(f"SMTP server {where} refused the mail: {_reply(error)}") from None
        except smtplib.SMTPException as error:
            raise TaskFailure(f"SMTP server {where}: {error}") from None
        except (OSError, ssl.SSLError) as error:
            raise TaskFailure(f"cannot send the mail through {where}: {error}") from None
        return {}


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = (
        error.smtp_error.decode(errors="replace")
        if isinstance(error.smtp_error, bytes)
        else str(error.smtp_error)
    )
    return f"{error.smtp_code} {text}"


class MailExecution(ExecutionNotification, MailSend):
    """Send an email with the summary of an execution (Kestra's mail template): a link to the
    execution in the UI (`kestra.url`), its state, duration and failed task, namespace, flow, labels,
    `customMessage` and `customFields`; the SMTP properties are MailSend's."""

    subject: str | None = dynamic(None)
    html_text_content: str | None = Field(None, exclude=True)
    plain_text_content: str | None = Field(None, exclude=True)

    def contents(self, ctx: RunContext) -> tuple[str | None, str | None, str | None]:
        summary = self.summary(ctx)
        subject = self._text(ctx, self.subject) or f"Kestra execution {summary.headline}"
        return subject, _html(summary), _plain(summary)


def _plain(summary: ExecutionSummary) -> str:
    lines = [summary.headline, summary.outcome, summary.link]
    if summary.custom_message:
        lines.insert(0, summary.custom_message)
    lines += [f"{name}: {value}" for name, value in summary.facts()]
    return "\n".join(lines) + "\n"


def _html(summary: ExecutionSummary) -> str:
    rows = "".join(
        f"<tr><th align='left'>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in summary.facts()
    )
    custom = f"<p>{html.escape(summary.custom_message)}</p>" if summary.custom_message else ""
    return (
        f"<html><body>{custom}<h2><a href='{html.escape(summary.link)}'>"
        f"{html.escape(summary.headline)}</a></h2>"
        f"<p>{html.escape(summary.outcome)}</p><table>{rows}</table></body></html>"
    )
