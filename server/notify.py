"""The notifier: email through a real SMTP server, off the event loop.

One small module, so the reminders work reuses it. :class:`SmtpSettings`
says where the server is (``iop-server serve --smtp-host/--smtp-port/
--smtp-from``, or the environment variables ``IOP_SMTP_HOST``,
``IOP_SMTP_PORT``, ``IOP_SMTP_FROM``); :meth:`Notifier.send` builds one plain
text message (with attachments, such as a reminder's ``.ics`` event) and hands
it to the SMTP server with :mod:`aiosmtplib` on the event loop, with a
timeout, so a slow mail server never stalls a session. A failure raises
:class:`NotifyError` with one sentence; the caller decides when to retry. A
caller may fix the ``Message-ID`` (the reminders use their outbox key), so a
mail system can tell a resent message from a new one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

__all__ = ["SmtpSettings", "Notifier", "NotifyError", "Attachment"]

#: Seconds to wait for the SMTP server before giving up on one message.
SMTP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email: its bytes, its MIME type and its name."""

    data: bytes
    mime: str
    filename: str


class NotifyError(Exception):
    """A message could not be handed to the SMTP server (one sentence)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "iop-server@localhost"
    timeout: float = SMTP_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """Settings from ``IOP_SMTP_HOST``/``IOP_SMTP_PORT``/``IOP_SMTP_FROM``, or None without a host."""
        env = os.environ if env is None else env
        host = env.get("IOP_SMTP_HOST", "").strip()
        if not host:
            return None
        port = env.get("IOP_SMTP_PORT", "").strip()
        return cls(host, int(port) if port else 25, env.get("IOP_SMTP_FROM", "").strip() or cls.sender)


class Notifier:
    """Sends plain-text email through one SMTP server."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def message(
        self, to: str, subject: str, body: str, *, attachments: Iterable[Attachment] = (), message_id: str | None = None,
    ) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = message_id or make_msgid(domain="iop-tui")
        msg.set_content(body)
        for attachment in attachments:
            maintype, _, subtype = attachment.mime.partition("/")
            msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
        return msg

    async def send(
        self, to: str, subject: str, body: str, *, attachments: Iterable[Attachment] = (), message_id: str | None = None,
    ) -> None:
        """Hand one message to the SMTP server; raise :class:`NotifyError` if it was not accepted."""
        msg = self.message(to, subject, body, attachments=attachments, message_id=message_id)
        s = self.settings
        try:
            await aiosmtplib.send(msg, hostname=s.host, port=s.port, timeout=s.timeout)
        except (OSError, TimeoutError, aiosmtplib.SMTPException) as exc:
            raise NotifyError(f"The mail server {s.host}:{s.port} did not take the message ({exc}); it will be tried again.") from None
