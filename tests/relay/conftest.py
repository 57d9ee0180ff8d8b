"""Fixtures of the relay layer: the world outside the relay, real and on loopback.

``pg_url``: a postgresql:// URL on a fresh schema of the machine's PostgreSQL,
dropped after (:func:`tests.support.pg.fresh_schema`).

``smtp``: a real SMTP server (aiosmtpd) on a free loopback port, as
``(mailbox, settings)``: the :class:`tests.support.outside.Mailbox` that keeps
every message it accepted, and the :class:`server.notify.SmtpSettings` a relay
sends through it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from server.notify import SmtpSettings
from tests.support.outside import Mailbox
from tests.support.pg import fresh_schema


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_schema() as url:
        yield url


@pytest.fixture
def smtp(unused_tcp_port):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    try:
        yield box, SmtpSettings("127.0.0.1", unused_tcp_port, "relay@clinic.example")
    finally:
        controller.stop()
