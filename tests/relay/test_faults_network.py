"""Network faults: abrupt cuts and a half-open member, audited for loss and duplicates.

- Cuts: during a burst of chats, votes and check-ins from every member, the
  members' TCP connections are aborted at random (no close frame). Each member
  reconnects, resumes from its last seq and resends unanswered commands with
  the same ids. The auditor (``tests/support/audit.py``) finds 0 lost, 0 duplicated.
- Half-open: a member stops reading in the middle of a burst of large
  events. The others keep receiving every event meanwhile (counts, not
  times); the relay closes the slow one with 4008; it resumes with nothing
  lost or repeated.
"""

from __future__ import annotations

import asyncio

from protocol.messages import PROTOCOL_VERSION
import random

import pytest
from tests.support.audit import Auditor, RealMember, ResilientClient
from tests.support.wsclient import seed

from server.edge import RelayServer

TIMEOUT = 20


def members(seeded):
    return [seeded.facilitator, *seeded.participants, seeded.guest]


#: The members under test: the raw resilient test client, and the real iop_tui Connection.
KINDS = {"raw": ResilientClient, "real": RealMember}


async def start_clients(url: str, seeded, auditor: Auditor, kind: str = "raw") -> dict[str, ResilientClient]:
    clients = {}
    for cred in members(seeded):
        log = auditor.log(cred.name, cred.member_id, cred.role, seeded.group_id)
        clients[cred.name] = KINDS[kind](url, cred.token, log).start()
    for c in clients.values():
        await c.wait_connected(TIMEOUT)
    return clients


async def finish(clients: dict[str, ResilientClient], auditor: Auditor, store, group_id: int) -> None:
    """Wait for every answer, send a public marker, wait until everyone holds it, audit."""
    for c in clients.values():
        await c.wait_idle(TIMEOUT)
    end = await clients["Dana"].command("chat.send", {"text": "end of the run"}, timeout=TIMEOUT)
    assert end["kind"] == "ack", end
    for c in clients.values():
        await c.wait_seq(auditor.expected_head(store, c.log, end["seq"]), TIMEOUT)
    report = auditor.check(store)
    print(report.summary())
    assert report.ok, report.summary()
    assert report.delivered > 0


async def member_load(client: ResilientClient, role: str, rng: random.Random, rounds: int, poll_id: int) -> None:
    """Chats, a vote, a check-in and hands, at a pace under the rate limit."""
    for i in range(rounds):
        await client.send("chat.send", {"text": f"{client.log.name} line {i}"})
        if role != "facilitator" and i == rounds // 3:
            await client.send("poll.vote", {"poll_id": poll_id, "choices": [rng.randrange(2)]})
        if role == "participant" and i == rounds // 2:
            await client.send("checkin.submit", {"mood": rng.randrange(11), "feelings": ["tired"], "note": f"note {client.log.name}", "note_to": rng.choice(["group", "facilitators"])})
        if role != "facilitator" and i % 7 == 3:
            await client.send("hand.raise" if i % 14 == 3 else "hand.lower", {})
        await asyncio.sleep(rng.uniform(0.002, 0.01))


async def open_session(dana: ResilientClient) -> int:
    for kind, data in (
        ("session.start", {"title": "Faults"}),
        ("phase.set", {"phase": "checkin"}),
    ):
        answer = await dana.command(kind, data, timeout=TIMEOUT)
        assert answer["kind"] == "ack", answer
    answer = await dana.command("poll.open", {"question": "Pick one", "poll_kind": "single", "options": ["A", "B"], "anonymous": False}, timeout=TIMEOUT)
    assert answer["kind"] == "ack", answer
    return answer["seq"]  # one event: the poll's id is its seq


@pytest.mark.parametrize("kind", list(KINDS))
async def test_abrupt_cuts_during_a_burst_lose_and_repeat_nothing(tmp_path, kind):
    rng = random.Random(1128)
    async with RelayServer(tmp_path / "data", rate_per_s=500, burst=200) as relay:
        seeded = seed(relay.store, relay.url)
        auditor = Auditor()
        clients = await start_clients(relay.url, seeded, auditor, kind)
        try:
            poll_id = await open_session(clients["Dana"])
            load = [
                asyncio.create_task(member_load(c, cred.role, random.Random(i), 60, poll_id))
                for i, (c, cred) in enumerate(zip(clients.values(), members(seeded), strict=True))
            ]
            cuts = 0
            while not all(t.done() for t in load):
                await asyncio.sleep(rng.uniform(0.01, 0.06))
                victim = rng.choice(list(clients.values()))
                if victim.ws is not None:
                    victim.cut()
                    cuts += 1
            await asyncio.wait_for(asyncio.gather(*load), TIMEOUT)
            assert cuts >= 5
            await finish(clients, auditor, relay.store, seeded.group_id)
            assert sum(c.connects for c in clients.values()) > len(clients)
            assert sum(log.resumes for log in auditor.logs) >= 5
        finally:
            for c in clients.values():
                await c.close()


@pytest.mark.parametrize("kind", list(KINDS))
async def test_cuts_right_after_sending_are_answered_once_after_resume(tmp_path, kind):
    """Send a command and cut before its ack can arrive, many times over."""
    async with RelayServer(tmp_path / "data", rate_per_s=500, burst=200) as relay:
        seeded = seed(relay.store, relay.url)
        auditor = Auditor()
        clients = await start_clients(relay.url, seeded, auditor, kind)
        try:
            await open_session(clients["Dana"])
            sam = clients["Sam"]
            for i in range(25):
                await sam.wait_connected(TIMEOUT)
                await sam.send("chat.send", {"text": f"cut after send {i}"})
                sam.cut()
            await finish(clients, auditor, relay.store, seeded.group_id)
            texts = [e.data["text"] for e in relay.store.events_after(seeded.group_id, 0) if e.type == "chat.posted" and e.actor == sam.log.member_id]
            assert texts == [f"cut after send {i}" for i in range(25)]
        finally:
            for c in clients.values():
                await c.close()


def deck(i: int, size: int = 58_000) -> str:
    """A deck whose deck.loaded event is close to the frame limit."""
    slides = []
    per = size // 4
    for s in range(4):
        slides.append(f"# Deck {i} slide {s}\n" + ("calm breathing\n" * (per // 15))[: per - 40])
    return "\n---\n".join(slides)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_member_that_stops_reading_never_slows_the_others(tmp_path, kind):
    async with RelayServer(tmp_path / "data", rate_per_s=1000, burst=1000, send_buffer=256 * 1024) as relay:
        seeded = seed(relay.store, relay.url)
        auditor = Auditor()
        clients = await start_clients(relay.url, seeded, auditor, kind)
        try:
            await open_session(clients["Dana"])
            dana, sam, alex, riley = clients["Dana"], clients["Sam"], clients["Alex"], clients["Riley"]
            riley_id = riley.log.member_id
            offline = asyncio.Event()
            sam_log_frame = sam.log.on_frame

            def watch(f: dict) -> None:
                sam_log_frame(f)
                if f.get("kind") == "presence" and f["member"]["id"] == riley_id and f["status"] == "offline":
                    offline.set()

            sam.log.on_frame = watch
            riley.pause_reading()
            paused_at = len(riley.log.received)
            sent_while_paused: list[int] = []
            for i in range(400):
                answer = await dana.command("deck.load", {"markdown": deck(i)}, timeout=TIMEOUT)
                assert answer["kind"] == "ack", answer
                loaded = relay.store.command_result(dana.log.member_id, answer["id"]).first_seq
                sent_while_paused.append(loaded)
                # Everyone else already holds this deck before the next one is sent.
                for other in (sam, alex):
                    await other.wait_seq(loaded, TIMEOUT)
                if offline.is_set():
                    break
            assert offline.is_set(), "the relay never closed the member that stopped reading"
            assert len(riley.log.received) == paused_at  # it really read nothing meanwhile
            for other in (sam, alex):
                got = set(other.log.received)
                assert all(seq in got for seq in sent_while_paused), "the others missed decks while one member was stuck"
            # More traffic while Riley is gone; then Riley reads again and resumes.
            for i in range(5):
                await sam.send("chat.send", {"text": f"while Riley was away {i}"})
            riley.resume_reading()
            await riley.wait_connected(TIMEOUT)
            await finish(clients, auditor, relay.store, seeded.group_id)
            assert 4008 in riley.log.close_codes, riley.log.close_codes
            assert riley.log.resumes >= 1
        finally:
            for c in clients.values():
                await c.close()


async def test_a_joiner_that_never_reads_its_replay_pins_a_bounded_backlog(tmp_path):
    """Backlog in bytes, read from the relay's transports: no time involved."""
    import msgpack
    from websockets.asyncio.client import connect

    from protocol.codec import MAX_FRAME_BYTES

    send_buffer = 256 * 1024
    async with RelayServer(tmp_path / "data", rate_per_s=10_000, burst=10_000, send_buffer=send_buffer) as relay:
        seeded = seed(relay.store, relay.url)
        auditor = Auditor()
        dana = ResilientClient(relay.url, seeded.facilitator.token, auditor.log("Dana", seeded.facilitator.member_id, "facilitator", seeded.group_id)).start()
        try:
            await dana.wait_connected(TIMEOUT)
            for i in range(200):  # ~12 MB: more than loopback's socket buffers absorb
                assert (await dana.command("deck.load", {"markdown": deck(i)}, timeout=TIMEOUT))["kind"] == "ack"
            sam = seeded.participants[0]
            stuck = []
            for _ in range(3):
                ws = await connect(relay.url, compression=None, max_size=None, ping_interval=None)
                ws.transport.pause_reading()
                await ws.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": sam.token, "resume_from": None}))
                stuck.append(ws)
            room = relay.hub.rooms[seeded.group_id]

            async def joined() -> None:
                while len([p for p in room.peers if p.member_id == sam.member_id]) < 3:
                    await asyncio.sleep(0.01)

            await asyncio.wait_for(joined(), TIMEOUT)
            backlogs = [p.ws.transport.get_write_buffer_size() for p in room.peers if p.member_id == sam.member_id]
            for ws in stuck:
                ws.transport.abort()
            assert max(backlogs) <= send_buffer + 2 * MAX_FRAME_BYTES, f"relay-side backlog per stuck joiner: {backlogs} bytes"
        finally:
            await dana.close()


async def test_a_joiner_cut_during_its_replay_is_cleaned_up(tmp_path):
    """Members that vanish mid-replay (never reading, then cut) leave the room, and the
    others carry on: the facilitator sees them go offline and everyone else's live events flow."""
    import msgpack
    from websockets.asyncio.client import connect

    async with RelayServer(tmp_path / "data", rate_per_s=10_000, burst=10_000, send_buffer=256 * 1024, presence_grace=0.5) as relay:
        seeded = seed(relay.store, relay.url)
        auditor = Auditor()
        clients = await start_clients(relay.url, seeded, auditor)
        try:
            dana, alex = clients["Dana"], clients["Alex"]
            for i in range(120):
                assert (await dana.command("deck.load", {"markdown": deck(i)}, timeout=TIMEOUT))["kind"] == "ack"
            riley = seeded.participants[2]
            await clients["Riley"].close()  # Riley's only connections are now the stuck ones
            offline = asyncio.Event()
            watch_log = dana.log.on_frame

            def watch(f: dict) -> None:
                watch_log(f)
                if f.get("kind") == "presence" and f["member"]["id"] == riley.member_id:
                    (offline.set if f["status"] == "offline" else offline.clear)()

            dana.log.on_frame = watch
            await asyncio.wait_for(offline.wait(), TIMEOUT)
            offline.clear()
            stuck = []
            for _ in range(4):
                ws = await connect(relay.url, compression=None, max_size=None, ping_interval=None)
                ws.transport.pause_reading()
                await ws.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": riley.token, "resume_from": None}))
                stuck.append(ws)
            for i in range(5):
                await alex.send("chat.send", {"text": f"while Riley is stuck {i}"})
            await alex.wait_idle(TIMEOUT)
            for ws in stuck:
                ws.transport.abort()
            await asyncio.wait_for(offline.wait(), TIMEOUT)
            room = relay.hub.rooms[seeded.group_id]
            assert not [p for p in room.peers if p.member_id == riley.member_id]
            del clients["Riley"]
            await finish(clients, auditor, relay.store, seeded.group_id)
        finally:
            for c in clients.values():
                await c.close()


async def test_a_long_catch_up_while_the_group_keeps_talking(tmp_path):
    """A member resumes from far behind (past the relay's in-memory tail) while others keep
    sending: its paced catch-up crosses from the store to the tail to live with nothing lost
    or repeated."""
    async with RelayServer(tmp_path / "data", rate_per_s=100_000, burst=100_000, send_buffer=64 * 1024) as relay:
        seeded = seed(relay.store, relay.url)
        auditor = Auditor()
        clients = await start_clients(relay.url, seeded, auditor)
        try:
            await open_session(clients["Dana"])
            dana, alex, sam = clients["Dana"], clients["Alex"], clients["Sam"]
            await sam.close()
            for i in range(1500):
                await (dana if i % 2 else alex).send("chat.send", {"text": f"while Sam is away {i} " + "x" * 200})
            await dana.wait_idle(TIMEOUT)
            await alex.wait_idle(TIMEOUT)
            back = clients["Sam"] = ResilientClient(relay.url, seeded.participants[0].token, sam.log).start()

            async def keep_talking() -> None:
                for i in range(600):
                    await (dana if i % 2 else alex).send("chat.send", {"text": f"during the catch-up {i}"})
                    if i % 50 == 0:
                        await asyncio.sleep(0)

            async def cut_mid_catch_up() -> None:
                held = len(sam.log.received)
                while len(sam.log.received) < held + 300:
                    await asyncio.sleep(0.001)
                back.cut()  # a second cut, in the middle of the paced replay

            await asyncio.wait_for(asyncio.gather(keep_talking(), cut_mid_catch_up()), TIMEOUT)
            await back.wait_connected(TIMEOUT)
            await finish(clients, auditor, relay.store, seeded.group_id)
            assert sam.log.resumes >= 2 and sam.log.resets == 0
        finally:
            for c in clients.values():
                await c.close()
