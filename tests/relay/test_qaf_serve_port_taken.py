"""A relay that cannot listen sends nothing (found setting up a weekly group as the README says).

``iop-server serve`` on a port already in use says so and stops; but it had
already started looking for reminders: a reminder due then was claimed by the
relay that never came up, and the relay that did start had to wait out the
claim's lease (two minutes) before sending it. Reminders and on-call emails
start only once the relay listens.
"""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from tests.relay.test_reminders import outbox, plan_session
from tests.support.outside import Mailbox

from protocol.roles import PARTICIPANT
from server.edge import RelayServer
from server.notify import SmtpSettings
from server.store import Store


async def test_a_relay_that_cannot_listen_claims_no_reminder_and_sends_no_email(tmp_path, unused_tcp_port_factory):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=unused_tcp_port_factory())
    controller.start()
    data = tmp_path / "data"
    store = Store(data)
    gid, _start = plan_session(store)
    sam, _ = store.add_member(gid, "Sam", PARTICIPANT)
    store.set_reminder_prefs(sam, consent=True, email="sam@example.org")  # one is due now
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        relay = RelayServer(data, "127.0.0.1", taken.getsockname()[1], smtp=SmtpSettings("127.0.0.1", controller.port, "relay@clinic.example"), reminder_every=0.05)
        with pytest.raises(OSError):
            await relay.start()
        assert outbox(store, gid) == [], "a relay that never listened claimed a reminder"
        assert box.messages == []
    finally:
        taken.close()
        controller.stop()
        store.close()
