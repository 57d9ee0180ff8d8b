"""The world outside the relay, real and on loopback: an SMTP server (aiosmtpd) and an SMS provider's webhook (http.server).

``Mailbox`` collects what the SMTP server accepted; ``Webhook`` runs an HTTP
server in a thread that records every POST (headers and JSON body) and
answers with ``status``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from email import message_from_string
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Mailbox", "Webhook"]

TIMEOUT = 10


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.arrived = asyncio.Event()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        self.arrived.set()
        return "250 OK"

    def parsed(self) -> list[Message]:
        return [message_from_string(text) for _, text in self.messages]

    async def wait_for(self, count: int, timeout: float = TIMEOUT) -> None:
        async def enough() -> None:
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)


class Webhook:
    """A real HTTP server on loopback that records POSTs, like a clinic's SMS provider."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[tuple[dict[str, str], dict[str, Any]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Webhook:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
