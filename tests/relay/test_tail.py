"""The tail (issue 16): commits run on the writer's thread, never on the event loop.

The relay here runs in the test's own event loop (the ``relay`` fixture), so a
commit that stalled the loop would stall the test too. The stall is real: an
outside SQLite connection holds the database's write lock, as the CLI or a
checkpoint may. Persist-before-deliver is checked against the database file
itself, with a connection of the test's own.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as _dt
import logging
import os
import sqlite3
import struct
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgpack
import psycopg
import pytest
from websockets.frames import Frame, Opcode

from protocol import PROTOCOL_VERSION
from protocol.errors import CloseCode
from protocol.schedule import Rule
from server.edge import RelayServer
from tests.support.held import Held
from tests.support.wsclient import RawClient, is_event, is_kind, seed, until


class WireReader:
    """A member on a bare TCP socket: it keeps each frame the relay sends exactly as the bytes
    came (header and payload), to compare what different recipients were sent, byte for byte."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.frames: list[tuple[int, bytes, bytes]] = []  # (opcode, the frame's bytes, payload)
        self._buffer = b""

    async def __aenter__(self) -> WireReader:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write(
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        self.send({"kind": "hello", "v": PROTOCOL_VERSION, "token": self.token, "resume_from": None})
        self._task = asyncio.get_running_loop().create_task(self._read())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._task.cancel()
        self.writer.close()

    def send(self, frame: dict[str, Any]) -> None:
        self.writer.write(Frame(Opcode.BINARY, msgpack.packb(frame)).serialize(mask=True))

    async def _read(self) -> None:
        while data := await self.reader.read(65536):
            self._buffer += data
            while (frame := self._next()) is not None:
                self.frames.append(frame)

    def _next(self) -> tuple[int, bytes, bytes] | None:
        buf = self._buffer
        if len(buf) < 2:
            return None
        assert not buf[1] & 0x80, "a server frame is never masked"
        length, offset = buf[1] & 0x7F, 2
        if length == 126:
            (length,), offset = struct.unpack_from("!H", buf, 2), 4
        elif length == 127:
            (length,), offset = struct.unpack_from("!Q", buf, 2), 10
        if len(buf) < offset + length:
            return None
        self._buffer = buf[offset + length:]
        return buf[0] & 0x0F, buf[: offset + length], buf[offset : offset + length]

    def decoded(self) -> list[dict[str, Any]]:
        return [msgpack.unpackb(payload, strict_map_key=False) for op, _, payload in self.frames if op == Opcode.BINARY]

    def wire_of(self, text: str) -> bytes | None:
        """The bytes of the frame carrying the chat line ``text``, as this member received them."""
        for op, raw, payload in self.frames:
            frame = msgpack.unpackb(payload, strict_map_key=False) if op == Opcode.BINARY else {}
            if frame.get("kind") == "event" and frame.get("data", {}).get("text") == text:
                return raw
        return None


def member_of_another_group(store: Any) -> str:
    """The token of Pat, a participant of "Thursday IOP": someone the loop must go on serving."""
    thursday = store.create_group("Thursday IOP")
    return str(store.add_member(thursday, "Pat", "participant")[1])


def stored_seqs(path, group_id: int) -> set[int]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT seq FROM events WHERE group_id = ?", (group_id,))}


async def test_a_stalled_commit_holds_back_its_batch_but_not_the_loop_and_welcomes_show_only_durable_seqs(relay, seeded):
    dana, sam, alex, riley = seeded.facilitator, *seeded.participants
    pat_token = member_of_another_group(relay.store)
    async with RawClient(relay.url, sam.token) as s, RawClient(relay.url, alex.token) as a:
        await s.wait_synced()
        await a.wait_synced()
        durable = max(stored_seqs(relay.store.path, seeded.group_id), default=0)
        blocker = sqlite3.connect(relay.store.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock: the commit waits for it
        try:
            cid = await s.send("chat.send", {"text": "held back"})
            await asyncio.sleep(0.3)  # decided, its commit waiting on the lock
            assert not any(f.get("id") == cid for f in s.frames), "an answer before the batch was durable"
            assert not a.events or a.events[-1]["seq"] <= durable, "an event delivered before it was durable"
            # The loop goes on meanwhile: a member of this group and one of another group are welcomed
            # and replayed, and neither is shown the seq that is decided but not committed.
            async with RawClient(relay.url, riley.token) as r, RawClient(relay.url, pat_token) as p:
                welcome = await r.recv_until(is_kind("welcome"))
                synced = await r.wait_synced()
                assert welcome["head_seq"] == durable and synced["head_seq"] == durable
                assert all(e["seq"] <= durable for e in r.events)
                await p.wait_synced()
                assert max(stored_seqs(relay.store.path, seeded.group_id), default=0) == durable
                blocker.execute("ROLLBACK")
                ack = await s.wait_ack(cid)
                assert ack["kind"] == "ack" and ack["seq"] == durable + 1
                line = await r.recv_until(is_event("chat.posted", text="held back"))
                assert line["seq"] == durable + 1 and [e["seq"] for e in r.events].count(durable + 1) == 1
        finally:
            if blocker.in_transaction:
                blocker.execute("ROLLBACK")
            blocker.close()
    async with RawClient(relay.url, dana.token) as d:
        await d.wait_synced()
        assert any(e["seq"] == durable + 1 for e in d.events)


class DurabilityWitness(RawClient):
    """A client that, on the very loop turn each ack or event arrives, looks it up in the database."""

    path: str
    group_id: int
    early: list[str]

    def on_frame(self, frame: dict) -> None:
        seq = frame.get("seq") if frame.get("kind") in ("ack", "event") else None
        if seq is not None and seq not in stored_seqs(self.path, self.group_id):
            self.early.append(f"{frame['kind']} {seq}")


async def test_no_ack_and_no_event_reaches_anyone_before_its_batch_is_in_the_database(relay, seeded):
    sam, alex = seeded.participants[:2]
    early: list[str] = []
    clients = [DurabilityWitness(relay.url, sam.token), DurabilityWitness(relay.url, alex.token)]
    for client in clients:
        client.path, client.group_id, client.early = str(relay.store.path), seeded.group_id, early
    async with clients[0] as s, clients[1] as a:
        await s.wait_synced()
        await a.wait_synced()
        sent: list[tuple[RawClient, str]] = []
        for n in range(20):
            for client in (s, a):
                sent.append((client, await client.send("chat.send", {"text": f"line {n}"})))
        for client, cid in sent:
            assert (await client.wait_ack(cid))["kind"] == "ack"
        assert len(s.events) >= 40 and len(a.events) >= 40
    assert early == []


async def test_an_events_frame_is_the_same_bytes_for_every_recipient_a_whole_unmasked_binary_frame(relay, seeded):
    dana = seeded.facilitator
    readers = [WireReader(relay.port, cred.token) for cred in seeded.participants]
    async with readers[0] as sam, readers[1] as alex, readers[2] as riley, RawClient(relay.url, dana.token) as d:
        await d.wait_synced()
        await until(lambda: all(any(f.get("kind") == "synced" for f in r.decoded()) for r in readers), "all three synced")
        texts = [f"line {n} " + "x" * size for n, size in enumerate((3, 300, 1900))]  # 7-bit and 16-bit lengths
        for text in texts:
            await d.command("chat.send", {"text": text})
        for text in texts:
            await until(lambda text=text: all(r.wire_of(text) is not None for r in readers), f"{text[:8]!r} at every reader")
            wires = {r.wire_of(text) for r in readers}
            assert len(wires) == 1, "recipients were sent different bytes for one event"
            (wire,) = wires
            op, raw, payload = next(f for f in sam.frames if f[1] == wire)
            assert op == Opcode.BINARY and raw[0] == 0x80 | Opcode.BINARY  # final, no reserved bits
            assert raw == Frame(Opcode.BINARY, payload).serialize(mask=False)
            assert msgpack.unpackb(payload)["data"]["text"] == text
        assert all(r.frames[-1][0] == Opcode.BINARY for r in (alex, riley))


async def test_a_close_frame_follows_every_frame_queued_before_it(tmp_path):
    async with RelayServer(tmp_path / "data", rate_per_s=20.0, burst=10, flood_penalty=1.0) as relay:
        g = seed(relay.store, relay.url)
        sam = g.participants[0]
        async with WireReader(relay.port, sam.token) as wire:
            await until(lambda: any(f.get("kind") == "synced" for f in wire.decoded()), "Sam synced")
            for i in range(40):  # a burst of 10 is accepted, the rest dropped, then the connection is cut
                wire.send({"kind": "chat.send", "id": f"flood-{i}", "data": {"text": f"flood {i}"}})
            await until(lambda: wire.frames and wire.frames[-1][0] == Opcode.CLOSE, "a close frame")
            payload = wire.frames[-1][2]
            assert struct.unpack("!H", payload[:2])[0] == CloseCode.FLOODING
            assert [f[0] for f in wire.frames].count(Opcode.CLOSE) == 1
            acks = [f["id"] for f in wire.decoded() if f.get("kind") == "ack"]
            with sqlite3.connect(relay.store.path) as db:
                stored = sorted(row[0] for row in db.execute("SELECT command_id FROM command_results WHERE member_id = ?", (sam.member_id,)))
            # Every command the relay accepted and stored was answered before the close frame.
            assert len(acks) >= 10 and sorted(acks) == stored



def commit_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("iop-commit")]


def stored_texts(path, group_id: int) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT data FROM events WHERE group_id = ? AND type = 'chat.posted' ORDER BY seq", (group_id,))
        return [msgpack.unpackb(row[0]).get("text") for row in rows]


async def test_a_commit_that_cannot_wait_on_the_disk_lands_on_the_loop_without_waking_a_thread(relay, seeded):
    """SQLite's default (WAL, synchronous=NORMAL) writes a commit to the page cache: it runs
    here, on the loop, and its batch is delivered in the same step; no commit thread wakes."""
    sam, alex = seeded.participants[:2]
    async with RawClient(relay.url, sam.token) as s, RawClient(relay.url, alex.token) as a:
        await s.wait_synced()
        await a.wait_synced()
        for n in range(20):
            assert (await s.wait_ack(await s.send("chat.send", {"text": f"line {n}"})))["kind"] == "ack"
        await a.recv_until(is_event("chat.posted", text="line 19"))
    assert commit_threads() == [], "a commit thread was woken although no commit could wait"
    assert stored_texts(relay.store.path, seeded.group_id) == [f"line {n}" for n in range(20)]


async def test_a_commit_meeting_another_programs_write_lock_waits_on_the_thread_each_time_and_is_stored_once(relay, seeded):
    """The lock is asked for without waiting; when the CLI (here: a test connection) holds it,
    the same batch waits on the commit thread while the loop goes on, twice in a row: after the
    first wait the next commits are here again, and never wait on the loop."""
    sam, riley = seeded.participants[0], seeded.participants[2]
    async with RawClient(relay.url, sam.token) as s:
        await s.wait_synced()
        for round_ in range(2):
            blocker = sqlite3.connect(relay.store.path, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            try:
                cid = await s.send("chat.send", {"text": f"held {round_}"})
                await asyncio.sleep(0.3)
                assert not any(f.get("id") == cid for f in s.frames), "answered before it was stored"
                async with RawClient(relay.url, riley.token) as r:  # the loop is free meanwhile
                    await r.wait_synced()
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            assert (await s.wait_ack(cid))["kind"] == "ack"
            assert commit_threads(), "the held batch did not wait on the commit thread"
            # the next commit runs here again: with the lock free it is answered at once
            assert (await s.wait_ack(await s.send("chat.send", {"text": f"free {round_}"})))["kind"] == "ack"
    assert stored_texts(relay.store.path, seeded.group_id) == ["held 0", "free 0", "held 1", "free 1"]


async def test_a_durable_relay_syncs_every_commit_so_it_commits_on_the_thread(tmp_path):
    async with RelayServer(tmp_path / "data", durable=True) as relay:
        seeded = seed(relay.store, relay.url)
        assert relay.store.commit_may_block and not relay.hub.writer.here_first
        async with RawClient(relay.url, seeded.participants[0].token) as s:
            await s.wait_synced()
            assert (await s.wait_ack(await s.send("chat.send", {"text": "synced"})))["kind"] == "ack"
            assert commit_threads()


async def test_an_event_the_relay_decides_itself_waits_in_its_rooms_batch_not_on_the_loop(pg_url):
    """A member who comes late to open small rooms is placed by the relay itself (actor 0), as a
    room's clock says "2 minutes left". On PostgreSQL, with the group's batch in flight and its
    commit waiting (a test connection holds the group's row, as a slow database would), the
    placement queues behind it in the room's next batch, and the loop goes on meanwhile: the late
    member and a member of another group are welcomed before the commit can go on. The placement
    is then stored and delivered once. A timer lets the row go after 5 s, so a relay that waits
    on the loop instead fails here rather than hanging."""
    async with RelayServer(pg_url) as relay:
        seeded = seed(relay.store, relay.url)
        dana, sam, _alex, riley = seeded.facilitator, *seeded.participants
        pat_token = member_of_another_group(relay.store)
        async with RawClient(relay.url, dana.token) as d, RawClient(relay.url, sam.token) as s:
            await d.wait_synced()
            await s.wait_synced()
            await d.command("session.start", {"title": "Week 4"})
            await d.command("breakout.open", {"rooms": 2, "minutes": 10, "prompt": "Name one trigger.", "assign": "random"})
            holder = psycopg.connect(pg_url)
            holder.execute("SELECT head_seq FROM groups WHERE id = %s FOR NO KEY UPDATE", (seeded.group_id,))
            held = Held(holder.rollback)
            try:
                cid = await s.send("chat.send", {"text": "held back"})
                await asyncio.sleep(0.3)  # decided; its commit waits on the thread for the row
                async with RawClient(relay.url, riley.token) as r, RawClient(relay.url, pat_token) as p:
                    await r.wait_synced(timeout=10)
                    await p.wait_synced(timeout=10)
                    assert not held.timed_out, "the loop waited for the batch in flight"
                    held.let_go()
                    assert (await s.wait_ack(cid))["kind"] == "ack"
                    placed = await r.recv_until(is_event("room.joined", member_id=riley.member_id))
                    await d.recv_until(lambda f: f.get("seq") == placed["seq"])
            finally:
                held.let_go()
                holder.close()
        joined = [e for e in relay.store.events_after(seeded.group_id, 0) if e.type == "room.joined" and e.data["member_id"] == riley.member_id]
        assert len(joined) == 1, "Riley was placed once"


async def test_the_relays_own_event_whose_batch_failed_is_asked_for_again_and_stored_once(relay, seeded):
    """The round of small rooms ends (the relay's clock) while another program holds the write
    lock past the relay's wait: that batch fails, and the end of the round is asked for again a
    moment later, from the room as read back, and stored and delivered once."""
    relay.hub.writer.store.lock_wait_ms = 50
    dana, sam = seeded.facilitator, seeded.participants[0]
    async with RawClient(relay.url, dana.token) as d, RawClient(relay.url, sam.token) as s:
        await d.wait_synced()
        await s.wait_synced()
        await d.command("session.start", {"title": "Week 4"})
        await d.command("breakout.open", {"rooms": 2, "minutes": 5, "prompt": "", "assign": "random"})
        blocker = sqlite3.connect(relay.store.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            real = relay.hub.clock
            relay.hub.clock = lambda: real() + 5 * 60 + 1
            relay.hub.breakouts.ensure(relay.hub.rooms[seeded.group_id])
            await asyncio.sleep(0.4)  # the batch with the round's end waited 50 ms for the lock, and failed
            assert not [e for e in d.events if e["type"] == "breakout.closed"]
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        closed = await d.recv_until(is_event("breakout.closed"), timeout=5)
        assert closed["data"]["reason"] == "time"
        await s.recv_until(is_event("breakout.closed"), timeout=5)
        await asyncio.sleep(1.5)  # a second retry would have landed by now
        assert [e["type"] for e in d.events].count("breakout.closed") == 1
    with sqlite3.connect(relay.store.path) as db:
        stored = [row[0] for row in db.execute("SELECT type FROM events WHERE group_id = ? AND type = 'breakout.closed'", (seeded.group_id,))]
    assert stored == ["breakout.closed"]


@contextlib.asynccontextmanager
async def a_held_batch_in_a_live_session(relay: RelayServer, seeded: Any) -> AsyncIterator[tuple[RawClient, RawClient, sqlite3.Connection, str]]:
    """Dana and Sam in a live session; another program holds SQLite's write lock and Sam's line
    waits for it on the writer's thread. Yields Dana, Sam, the lock's connection (``ROLLBACK``
    lets it go) and the line's command id."""
    async with RawClient(relay.url, seeded.facilitator.token) as d, RawClient(relay.url, seeded.participants[0].token) as s:
        await d.wait_synced()
        await s.wait_synced()
        await d.command("session.start", {"title": "Week 4"})
        blocker = sqlite3.connect(relay.store.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            cid = await s.send("chat.send", {"text": "held back"})
            await asyncio.sleep(0.3)  # decided; its commit waits on the thread for the lock
            yield d, s, blocker, cid
        finally:
            if blocker.in_transaction:
                blocker.execute("ROLLBACK")
            blocker.close()


async def test_a_join_to_a_live_session_records_attendance_without_waiting_on_the_loop_for_a_held_lock(relay, seeded):
    """Joining a live session opens the member's attendance stretch. With another program
    holding the write lock (and a batch waiting for it), the stretch waits on the writer's
    thread behind that batch: the member is welcomed, and the loop goes on; once the lock is
    free the batch and the stretch are stored, in that order."""
    alex = seeded.participants[1]
    pat_token = member_of_another_group(relay.store)
    async with a_held_batch_in_a_live_session(relay, seeded) as (_d, s, blocker, cid):
        async with RawClient(relay.url, alex.token) as a, RawClient(relay.url, pat_token) as p:
            await a.wait_synced()
            await p.wait_synced()
            assert not any(f.get("id") == cid for f in s.frames), "the lock was free already"
            blocker.execute("ROLLBACK")
            assert (await s.wait_ack(cid))["kind"] == "ack"
            await until(lambda: alex.member_id in stored_stretches(relay.store.path, seeded.group_id), "Alex's stretch stored")


def stored_stretches(path, group_id: int) -> list[int]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT member_id FROM attendance WHERE group_id = ?", (group_id,))]


async def test_a_member_still_connected_when_a_batch_fails_stays_present_in_the_sessions_attendance(relay, seeded):
    """A batch that cannot be stored (another program held the write lock past the relay's wait)
    makes the relay read its room back from the store, without writing there and so without
    waiting on the loop for that lock: the member is told at once and a member of another group
    is welcomed meanwhile. The members connected all along are still present: the attendance
    recorded when the session ends, twenty minutes later, gives them the whole session, not a
    stretch closed at the moment of the failure. A timer lets the lock go after 3 s, so a relay
    that waits on the loop fails here rather than hanging."""
    relay.hub.writer.store.lock_wait_ms = 50
    dana, sam = seeded.facilitator, seeded.participants[0]
    pat_token = member_of_another_group(relay.store)
    async with RawClient(relay.url, dana.token) as d, RawClient(relay.url, sam.token) as s:
        await d.wait_synced()
        await s.wait_synced()
        await d.command("session.start", {"title": "Week 4"})
        blocker = sqlite3.connect(relay.store.path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        held = Held(lambda: blocker.execute("ROLLBACK"), 3.0)
        try:
            cid = await s.send("chat.send", {"text": "not stored"})
            assert (await s.wait_ack(cid, timeout=10))["kind"] == "error"
            async with RawClient(relay.url, pat_token) as p:
                await p.wait_synced(timeout=10)
            assert not held.timed_out, "the loop waited for the lock"
        finally:
            held.let_go()
            blocker.close()
        real = relay.hub.clock
        relay.hub.clock = lambda: real() + 20 * 60
        await d.command("session.end", {"summary": "", "reveal": False})
        recorded = await d.recv_until(is_event("attendance.recorded"))
    minutes = {row["name"]: row["minutes"] for row in recorded["data"]["rows"]}
    assert minutes == {"Dana": 20, "Sam": 20, "Alex": 0, "Riley": 0}  # Alex and Riley never came


async def test_on_postgresql_a_members_first_command_makes_no_round_trip_on_the_loop(pg_url):
    """What deciding a member's commands needs from the store (the command ids already answered,
    the bytes they stored) is read while they catch up, on the writer's thread in order after
    the batches before it, not on the loop at their first command: with another connection
    holding the command results table locked, Sam's first command after a reconnect is decided
    and waits on the writer's thread, and a member of another group is welcomed meanwhile.
    Sam's earlier command, sent again with the same id, is answered from its stored result."""
    async with RelayServer(pg_url) as relay:
        seeded = seed(relay.store, relay.url)
        sam = seeded.participants[0]
        pat_token = member_of_another_group(relay.store)
        async with RawClient(relay.url, sam.token) as s:
            await s.wait_synced()
            first = await s.command("chat.send", {"text": "before"}, id="earlier")
        async with RawClient(relay.url, sam.token) as s:
            await s.wait_synced()
            await until(lambda: sam.member_id in relay.hub._known, "Sam's answered commands read ahead")
            holder = psycopg.connect(pg_url)
            holder.execute("LOCK TABLE command_results IN ACCESS EXCLUSIVE MODE")
            held = Held(holder.rollback)
            try:
                cid = await s.send("chat.send", {"text": "first since the reconnect"})
                await asyncio.sleep(0.3)  # decided; its commit waits on the thread for the table
                async with RawClient(relay.url, pat_token) as p:
                    await p.wait_synced(timeout=10)
                assert not held.timed_out, "the loop waited for the table"
                held.let_go()
                assert (await s.wait_ack(cid))["kind"] == "ack"
            finally:
                held.let_go()
                holder.close()
            assert await s.command("chat.send", {"text": "before"}, id="earlier") == first
        texts = [e.data["text"] for e in relay.store.events_after(seeded.group_id, 0) if e.type == "chat.posted"]
        assert texts == ["before", "first since the reconnect"]


async def test_on_postgresql_a_join_reads_the_roster_and_settings_only_when_the_cli_changed_them(pg_url):
    """A join to a group already loaded reads its members, settings and guests' invitations again
    only when the store's data_version moved (the CLI changed one of them): with another
    connection holding the settings table locked, Alex is welcomed (a read there would hold the
    loop until a timer lets the table go); a member the CLI invites after that is in the
    roster of the next welcome."""
    async with RelayServer(pg_url) as relay:
        seeded = seed(relay.store, relay.url)
        dana, sam, alex, _riley = seeded.facilitator, *seeded.participants
        async with RawClient(relay.url, dana.token) as d:
            await d.wait_synced()
            # The members seeded after the relay started moved data_version once: a landed batch
            # and a join take that in (the roster read again, once).
            await d.command("session.start", {"title": "Week 4"})
            async with RawClient(relay.url, sam.token) as s:
                await s.wait_synced()
            holder = psycopg.connect(pg_url)
            holder.execute("LOCK TABLE group_settings IN ACCESS EXCLUSIVE MODE")
            held = Held(holder.rollback)
            try:
                async with RawClient(relay.url, alex.token) as a:
                    await a.wait_synced(timeout=10)
                assert not held.timed_out, "the join read the settings"
            finally:
                held.let_go()
                holder.close()
            _casey, casey_token = relay.store.add_member(seeded.group_id, "Casey", "participant")
            async with RawClient(relay.url, casey_token) as c:
                await c.wait_synced()
                assert "Casey" in [m["name"] for m in c.welcome["roster"]]


async def test_on_postgresql_a_joins_schedule_frame_reads_the_groups_schedule_once_per_revision(pg_url):
    """The ``schedule`` frame after a welcome reads the group's schedule (its settings, rules and
    cancellations) once per schedule revision, then only the member's own reminder choices: with
    another connection holding the rules table locked, Alex gets his welcome, his schedule with
    the planned session and his replay (a read there would hold the loop until a timer lets the
    table go)."""
    async with RelayServer(pg_url) as relay:
        seeded = seed(relay.store, relay.url)
        dana, alex = seeded.facilitator, seeded.participants[1]
        start = _dt.datetime.now(_dt.UTC).replace(second=0, microsecond=0) + _dt.timedelta(days=1)
        relay.store.add_schedule_rule(seeded.group_id, Rule(0, "group", start.date(), start.time(), 60))
        async with RawClient(relay.url, dana.token) as d:
            await d.wait_synced()
            first = await d.recv_until(lambda f: f.get("kind") == "schedule" and f["sessions"], timeout=5)
            holder = psycopg.connect(pg_url)
            holder.execute("LOCK TABLE schedule_rules IN ACCESS EXCLUSIVE MODE")
            held = Held(holder.rollback)
            try:
                async with RawClient(relay.url, alex.token) as a:
                    schedule = await a.recv_until(lambda f: f.get("kind") == "schedule", timeout=10)
                    await a.wait_synced(timeout=10)
                assert not held.timed_out, "the join read the group's schedule"
            finally:
                held.let_go()
                holder.close()
        assert schedule["sessions"] == first["sessions"] and schedule["sessions"][0]["start"] == start.timestamp()


async def test_on_postgresql_a_line_in_flight_when_its_member_reconnects_is_answered_once_when_sent_again(pg_url):
    """Sam's line is decided and its batch waits (another connection holds the group's row) when his
    link drops; he reconnects, and his answered command ids are read ahead on the writer's thread,
    after that batch. Once the row is free and the read is in, the line sent again with the same id
    is answered from its stored result: stored once, with the same seq (a read that missed the
    batch would decide it again, and its commit would fail on the stored result)."""
    async with RelayServer(pg_url) as relay:
        seeded = seed(relay.store, relay.url)
        sam = seeded.participants[0]
        async with RawClient(relay.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            holder = psycopg.connect(pg_url)
            try:
                async with RawClient(relay.url, sam.token) as before:
                    await before.wait_synced()
                    holder.execute("SELECT head_seq FROM groups WHERE id = %s FOR NO KEY UPDATE", (seeded.group_id,))
                    held = Held(holder.rollback)
                    await before.send("chat.send", {"text": "once"}, id="line-1")
                    await asyncio.sleep(0.3)  # decided; its batch waits for the row
                    await before.abort()  # the link drops before the ack
                await until(lambda: sam.member_id not in relay.hub._known, "Sam gone")
                async with RawClient(relay.url, sam.token) as after:
                    await after.wait_synced(timeout=10)
                    assert not held.timed_out, "the loop waited for the row"
                    held.let_go()
                    await until(lambda: sam.member_id in relay.hub._known, "Sam's answered commands read ahead")
                    again = await after.command("chat.send", {"text": "once"}, id="line-1")
            finally:
                held.let_go()
                holder.close()
            stored = [e for e in relay.store.events_after(seeded.group_id, 0) if e.type == "chat.posted"]
            assert [e.data["text"] for e in stored] == ["once"] and again["seq"] == stored[0].seq
            await dana.recv_until(is_event("chat.posted", text="once"))
            assert [e["data"]["text"] for e in dana.events if e["type"] == "chat.posted"] == ["once"]


@contextlib.contextmanager
def _counter_held_then_revoking(url: str, member_id: int) -> Iterator[Held]:
    """Another connection holds data_version's table (``store_meta``); let go, it revokes
    ``member_id`` (which moves the counter) and commits."""
    holder = psycopg.connect(url)
    holder.execute("LOCK TABLE store_meta IN ACCESS EXCLUSIVE MODE")

    def revoke() -> None:
        holder.execute("UPDATE members SET revoked = 1 WHERE id = %s", (member_id,))
        holder.commit()

    held = Held(revoke)
    try:
        yield held
    finally:
        held.let_go()
        holder.close()


def _waiting_for_the_counter(url: str) -> bool:
    """Whether a statement waits for a lock on ``store_meta`` (data_version's table)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'store_meta' AND NOT l.granted"
        ).fetchone()
    return bool(row and row[0])


async def test_on_postgresql_a_batch_is_decided_without_reading_data_version_on_the_loop_and_its_commit_checks_it(pg_url):
    """On PostgreSQL the relay does not read data_version on its loop before each batch (a round
    trip there held every member for it, and for as long as another connection held the counter):
    the batch's commit checks it instead. Another connection holds the counter: Sam's and Alex's
    lines are decided and their commit waits on the writer's thread while the loop answers Dana's
    ping. That connection then revokes Sam and commits: the batch is refused (data_version moved),
    nothing of it stored, and decided again with the tokens read again: Sam is closed (4001) and
    his line never stored; Alex's is stored once and acked."""
    async with RelayServer(pg_url) as relay:
        seeded = seed(relay.store, relay.url)
        dana, sam, alex, _riley = seeded.facilitator, *seeded.participants
        async with RawClient(relay.url, dana.token) as d, RawClient(relay.url, sam.token) as s, RawClient(relay.url, alex.token) as a:
            for client in (d, s, a):
                await client.wait_synced()
            await d.command("chat.send", {"text": "before"})  # a landed batch: data_version is known
            answered = False
            with _counter_held_then_revoking(pg_url, sam.member_id) as held:
                sam_line = await s.send("chat.send", {"text": "from Sam"})
                alex_line = await a.send("chat.send", {"text": "from Alex"})
                await until(lambda: _waiting_for_the_counter(pg_url), "a statement waiting for data_version")
                try:
                    await asyncio.wait_for(await d.ws.ping(), 2)  # answered by the relay's loop
                    answered = True
                except TimeoutError:
                    pass
            assert answered and not held.timed_out, "the loop waited for data_version"
            assert (await a.wait_ack(alex_line, timeout=10))["kind"] == "ack"
            assert await s.wait_closed(timeout=10) == CloseCode.UNAUTHORIZED
            assert all(f.get("kind") != "ack" or f.get("id") != sam_line for f in s.frames)
        texts = [e.data["text"] for e in relay.store.events_after(seeded.group_id, 0) if e.type == "chat.posted"]
        assert texts == ["before", "from Alex"]


async def test_on_postgresql_a_change_about_nobody_in_the_batch_commits_it_again_without_reading_rooms_back(pg_url, caplog):
    """The counter moves while Alex's line is in flight, for a change about someone else (Riley,
    offline, is revoked): the batch is refused, the tokens read again, and the same batch committed
    again at the new version; no room is folded again from the log (a whole group's history, on
    the loop). Alex's line is acked and stored once."""
    caplog.set_level(logging.INFO, logger="iop.server")
    async with RelayServer(pg_url) as relay:
        seeded = seed(relay.store, relay.url)
        dana, _sam, alex, riley = seeded.facilitator, *seeded.participants
        async with RawClient(relay.url, dana.token) as d, RawClient(relay.url, alex.token) as a:
            for client in (d, a):
                await client.wait_synced()
            await d.command("chat.send", {"text": "before"})  # a landed batch: data_version is known
            with _counter_held_then_revoking(pg_url, riley.member_id) as held:
                alex_line = await a.send("chat.send", {"text": "from Alex"})
                await until(lambda: _waiting_for_the_counter(pg_url), "a statement waiting for data_version")
            assert not held.timed_out
            assert (await a.wait_ack(alex_line, timeout=10))["kind"] == "ack"
        texts = [e.data["text"] for e in relay.store.events_after(seeded.group_id, 0) if e.type == "chat.posted"]
        assert texts == ["before", "from Alex"]
    said = [r.getMessage() for r in caplog.records]
    assert any("committing it again" in m for m in said) and not any("deciding it again" in m for m in said), said


async def test_a_guests_arrival_waits_for_its_batch_on_the_writers_thread_not_on_the_loop(relay, seeded):
    """A guest's first join in a live session logs their arrival before their welcome (what they
    see of the session is counted from it). With another program holding the write lock and a
    batch waiting for it, that arrival waits behind the batch while the loop goes on serving:
    a member of another group is welcomed meanwhile. Once the lock is free the batch and then
    the arrival are stored, once each, and the guest is welcomed already arrived."""
    jo_id = seeded.guest.member_id
    pat_token = member_of_another_group(relay.store)
    jo = RawClient(relay.url, seeded.guest.token)
    async with a_held_batch_in_a_live_session(relay, seeded) as (d, s, blocker, cid):
        joining = asyncio.create_task(jo.__aenter__())
        await asyncio.sleep(0.3)  # Jo's hello has arrived
        async with RawClient(relay.url, pat_token) as p:
            await p.wait_synced()
        assert not any(f.get("id") == cid for f in s.frames), "the lock was free already"
        assert not joining.done(), "Jo was welcomed before her arrival could be stored"
        blocker.execute("ROLLBACK")
        await asyncio.wait_for(joining, 5)
        try:
            assert jo.welcome is not None
            assert [m["name"] for m in jo.welcome["roster"]] != [], "Jo was welcomed before she arrived"
            assert (await s.wait_ack(cid))["kind"] == "ack"
            await jo.wait_synced()
            await d.recv_until(is_event("guest.arrived", member_id=jo_id))
        finally:
            await jo.close()
    with sqlite3.connect(relay.store.path) as db:
        stored = [row[0] for row in db.execute("SELECT type FROM events WHERE group_id = ? AND seq > ? ORDER BY seq", (seeded.group_id, 1))]
    assert stored[-2:] == ["chat.posted", "guest.arrived"], stored
    assert stored.count("guest.arrived") == 1


async def test_on_postgresql_a_guests_arrival_waits_behind_a_held_batch_while_the_loop_serves_others(pg_url):
    """The same on PostgreSQL, where the arrival was a commit from the loop: with the group's
    batch held by a row lock (a slow database), a guest's arrival queues behind it and a member
    of another group is welcomed meanwhile; then the guest is welcomed, arrived, once."""
    async with RelayServer(pg_url) as relay:
        seeded = seed(relay.store, relay.url)
        dana, sam, jo = seeded.facilitator, seeded.participants[0], seeded.guest
        pat_token = member_of_another_group(relay.store)
        async with RawClient(relay.url, dana.token) as d, RawClient(relay.url, sam.token) as s:
            await d.wait_synced()
            await s.wait_synced()
            await d.command("session.start", {"title": "Week 4"})
            holder = psycopg.connect(pg_url)
            holder.execute("SELECT head_seq FROM groups WHERE id = %s FOR NO KEY UPDATE", (seeded.group_id,))
            held = Held(holder.rollback)
            guest = RawClient(relay.url, jo.token)
            try:
                cid = await s.send("chat.send", {"text": "held back"})
                await asyncio.sleep(0.3)  # decided; its commit waits on the thread for the row
                joining = asyncio.create_task(guest.__aenter__())
                await asyncio.sleep(0.3)
                async with RawClient(relay.url, pat_token) as p:
                    await p.wait_synced(timeout=10)
                assert not held.timed_out, "the loop waited for the batch in flight"
                assert not joining.done(), "Jo was welcomed before her arrival could be stored"
                held.let_go()
                await asyncio.wait_for(joining, 10)
                assert guest.welcome is not None and guest.welcome["roster"], "Jo was welcomed before she arrived"
                assert (await s.wait_ack(cid))["kind"] == "ack"
                await d.recv_until(is_event("guest.arrived", member_id=jo.member_id))
            finally:
                held.let_go()
                holder.close()
                await guest.close()
        arrived = [e for e in relay.store.events_after(seeded.group_id, 0) if e.type == "guest.arrived"]
        assert len(arrived) == 1, "Jo's arrival was stored once"


async def test_a_guest_still_waiting_for_their_arrival_when_the_relay_stops_is_told_it_is_stopping(tmp_path):
    """The guest's arrival was in a batch that failed (another program held the write lock past
    the relay's wait), so it is asked for again a second later; the relay stops before that: it
    does not wait for the guest forever, and the guest is closed with 1001, not welcomed."""
    relay = RelayServer(tmp_path / "data")
    await relay.start()
    try:
        seeded = seed(relay.store, relay.url)
        relay.hub.writer.store.lock_wait_ms = 50
        async with RawClient(relay.url, seeded.facilitator.token) as d:
            await d.wait_synced()
            await d.command("session.start", {"title": "Week 4"})
            jo = RawClient(relay.url, seeded.guest.token)
            blocker = sqlite3.connect(relay.store.path, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            try:
                joining = asyncio.create_task(jo.__aenter__())
                await asyncio.sleep(0.3)  # the batch with her arrival waited 50 ms for the lock, and failed
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            await asyncio.wait_for(relay.stop(), 10)
            with pytest.raises(ConnectionError, match="1001"):
                await asyncio.wait_for(joining, 5)
            assert jo.welcome is None and jo.close_code == CloseCode.GOING_AWAY
    finally:
        await relay.stop()
