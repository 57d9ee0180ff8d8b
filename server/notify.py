"""The notifier: email through a real SMTP server, off the event loop.

One small module, so the reminders work reuses it. :class:`SmtpSettings`
says where the server is (``iop-server serve --smtp-host/--smtp-port/
--smtp-from``, or the environment variables ``IOP_SMTP_HOST``,
``IOP_SMTP_PORT``, ``IOP_SMTP_FROM``); :meth:`Notifier.send` builds one plain
text message and hands it to the standard library's :mod:`smtplib` in a
worker thread, so a slow mail server never stalls a session. A failure raises
:class:`NotifyError` with one sentence; the caller decides when to retry.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

__all__ = ["SmtpSettings", "Notifier", "NotifyError"]

#: Seconds to wait for the SMTP server before giving up on one message.
SMTP_TIMEOUT = 20.0


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

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid(domain="iop-tui")
        msg.set_content(body)
        return msg

    async def send(self, to: str, subject: str, body: str) -> None:
        """Hand one message to the SMTP server; raise :class:`NotifyError` if it was not accepted."""
        await asyncio.to_thread(self._send_now, self.message(to, subject, body))

    def _send_now(self, msg: EmailMessage) -> None:
        s = self.settings
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyError(f"The mail server {s.host}:{s.port} did not take the message ({exc}); it will be tried again.") from None
