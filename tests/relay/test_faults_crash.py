"""Crashes: the relay process is SIGKILLed under load and restarted on the same data.

Several members send chats, votes, check-ins and hands at a steady pace;
the relay (a real ``python -m server serve`` subprocess on a fixed port, so
members reconnect to the same URL) is killed with SIGKILL mid-stream and
started again on the same data folder, more than once. Members resume from
their last seq and resend unanswered commands with the same ids. The auditor
(``tests/support/audit.py``) then finds every acknowledged command's events in the
store, every member holding every event it may see exactly once, no command
applied twice and the seqs gap-free.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from tests.support.audit import Auditor, ResilientClient, free_port, settle
from tests.support.loadmix import load, start_load
from tests.support.procs import start_server_process
from tests.support.wsclient import seed

from server.store import Store

TIMEOUT = 30
LIMITS = ("--rate", "500", "--burst", "200", "--quiet")


def seeded_data(data_dir):
    store = Store(data_dir)
    try:
        return seed(store)
    finally:
        store.close()


@pytest.mark.serial
@pytest.mark.parametrize("stop", ["sigkill", "sigterm"])
async def test_a_relay_stopped_under_load_loses_and_repeats_nothing(tmp_path, stop):
    """SIGKILL is a crash; SIGTERM a clean shutdown (answer what is queued, close with 1001)."""
    data = tmp_path / "data"
    seeded = seeded_data(data)
    port = free_port()
    rng = random.Random(20261128)
    server = start_server_process(data, port, *LIMITS)
    url = server.url
    creds = [seeded.facilitator, *seeded.participants, seeded.guest]
    auditor = Auditor()
    clients = [ResilientClient(url, c.token, auditor.log(c.name, c.member_id, c.role, seeded.group_id)).start() for c in creds]
    processes = [server]
    try:
        for c in clients:
            await c.wait_connected(TIMEOUT)
        dana = clients[0]
        for kind, data_ in (("session.start", {"title": "Crash"}), ("phase.set", {"phase": "checkin"})):
            assert (await dana.command(kind, data_, timeout=TIMEOUT))["kind"] == "ack"
        poll = await dana.command("poll.open", {"question": "Pick", "poll_kind": "single", "options": ["A", "B"], "anonymous": False}, timeout=TIMEOUT)
        assert poll["kind"] == "ack", poll
        stop = asyncio.Event()
        tasks = [asyncio.create_task(load(c, cred.role, i, stop, poll["seq"])) for i, (c, cred) in enumerate(zip(clients, creds, strict=True))]
        kills = 0
        for _ in range(3):
            # Everyone is connected and some commands are acked; kill while more are in flight.
            for c in clients:
                await c.wait_connected(TIMEOUT)
            acked_before = sum(len(c.log.acks) for c in clients)
            while sum(len(c.log.acks) for c in clients) < acked_before + 60:
                await asyncio.sleep(0.01)
            await asyncio.sleep(rng.uniform(0, 0.05))
            if stop == "sigkill":
                server.kill()
            else:
                assert await asyncio.to_thread(server.stop) == 0, server.stderr_text()[-2000:]
            kills += 1
            await asyncio.sleep(rng.uniform(0.05, 0.3))  # members queue commands while it is down
            server = await asyncio.to_thread(start_server_process, data, port, *LIMITS)
            processes.append(server)
            assert server.url == url
        stop.set()
        sent = await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)
        await settle(clients, dana, TIMEOUT)
        store = Store(data)
        try:
            report = auditor.check(store)
        finally:
            store.close()
        print(report.summary())
        assert report.ok, report.summary()
        assert kills == 3 and sum(sent) > 100
        assert report.acked >= sum(sent)  # every command was finally answered with an ack
        assert sum(log.resumes for log in auditor.logs) >= kills * len(clients)
        assert sum(log.resets for log in auditor.logs) == 0, "a restart on the same data must resume, not reset"
    finally:
        for c in clients:
            await c.close()
        for p in processes:
            with_suppressed(p)


def with_suppressed(process) -> None:
    try:
        process.__exit__(None, None, None)
    except Exception:
        pass


async def test_sigkill_with_a_burst_in_flight(tmp_path):
    """Kill right after a burst was written: whatever was acked stays; the rest applies once."""
    data = tmp_path / "data"
    seeded = seeded_data(data)
    port = free_port()
    server = start_server_process(data, port, *LIMITS)
    processes = [server]
    auditor = Auditor()
    sam_cred = seeded.participants[0]
    creds = [seeded.facilitator, sam_cred, seeded.participants[1]]
    clients = [ResilientClient(server.url, c.token, auditor.log(c.name, c.member_id, c.role, seeded.group_id)).start() for c in creds]
    try:
        for c in clients:
            await c.wait_connected(TIMEOUT)
        sam = clients[1]
        for round_ in range(3):
            for i in range(100):
                await sam.send("chat.send", {"text": f"burst {round_} {i}"})
            server.kill()
            server = await asyncio.to_thread(start_server_process, data, port, *LIMITS)
            processes.append(server)
        await settle(clients, clients[0], TIMEOUT)
        store = Store(data)
        try:
            report = auditor.check(store)
            texts = [e.data["text"] for e in store.events_after(seeded.group_id, 0) if e.actor == sam_cred.member_id]
        finally:
            store.close()
        assert report.ok, report.summary()
        assert sorted(texts) == sorted(f"burst {r} {i}" for r in range(3) for i in range(100))
    finally:
        for c in clients:
            await c.close()
        for p in processes:
            with_suppressed(p)


async def test_sigkill_under_load_with_the_real_client(tmp_path):
    """The same crash, with iop_tui.core.connection.Connection doing the resuming and resending."""
    from tests.support.audit import RealMember

    data = tmp_path / "data"
    seeded = seeded_data(data)
    port = free_port()
    server = start_server_process(data, port, *LIMITS)
    processes = [server]
    creds = [seeded.facilitator, *seeded.participants, seeded.guest]
    auditor = Auditor()
    members = [RealMember(server.url, c.token, auditor.log(c.name, c.member_id, c.role, seeded.group_id)).start() for c in creds]
    try:
        stop, tasks = await start_load(members, TIMEOUT, "Real clients")
        dana = members[0]
        for _ in range(2):
            for m in members:
                await m.wait_connected(TIMEOUT)
            acked_before = sum(len(m.log.acks) for m in members)
            while sum(len(m.log.acks) for m in members) < acked_before + 40:
                await asyncio.sleep(0.01)
            server.kill()
            server = await asyncio.to_thread(start_server_process, data, port, *LIMITS)
            processes.append(server)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)
        await settle(members, dana, TIMEOUT)
        store = Store(data)
        try:
            report = auditor.check(store)
        finally:
            store.close()
        print(report.summary())
        assert report.ok, report.summary()
        assert sum(log.resumes for log in auditor.logs) >= 2 * len(members)
    finally:
        for m in members:
            await m.close()
        for p in processes:
            with_suppressed(p)
