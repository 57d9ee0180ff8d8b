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


def test_a_cli_listing_piped_into_a_reader_that_stops_early_ends_without_a_traceback(tmp_path):
    """``iop-server schedule list "Tuesday IOP" | head -1`` printed a Python traceback
    (BrokenPipeError) once head had its line."""
    import os
    import subprocess
    import sys

    from tests.support.procs import REPO, _env, run_cli

    data = str(tmp_path / "data")
    assert run_cli("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", data).returncode == 0
    assert run_cli("schedule", "add", "Tuesday IOP", "--weekly", "TU,TH", "--at", "18:00", "--minutes", "90", "--from", "2026-12-01", "--weeks", "8", "--data", data).returncode == 0
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line is written
    proc = subprocess.run([sys.executable, "-m", "server", "schedule", "list", "Tuesday IOP", "--data", data],
                          cwd=REPO, env=_env(), stdout=write, stderr=subprocess.PIPE, text=True, timeout=30)
    os.close(write)
    assert "Traceback" not in proc.stderr, proc.stderr
