"""Fixtures of the relay layer: the world outside the relay, real and on loopback.

``smtp``: a real SMTP server (aiosmtpd) on a free loopback port, as
``(mailbox, settings)``: the :class:`tests.support.outside.Mailbox` that keeps
every message it accepted, and the :class:`server.notify.SmtpSettings` a relay
sends through it.
"""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from server.notify import SmtpSettings
from tests.support.outside import Mailbox


@pytest.fixture
def smtp(unused_tcp_port):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    try:
        yield box, SmtpSettings("127.0.0.1", unused_tcp_port, "relay@clinic.example")
    finally:
        controller.stop()
