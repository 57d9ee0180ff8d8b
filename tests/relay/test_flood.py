"""A member who floods the relay costs the others nothing, and is told once, then closed.

Over a real relay on loopback: frames over a member's rate are dropped before
they are decoded, a burst gets one ``rate_limited`` error (not one per frame),
a member who keeps sending after it is closed with 4029, a member holds at most
three connections (a fourth closes the oldest with 4009), unauthenticated
sockets are capped per address, a frame's decoding cost is bounded, and a
guest's replay is paced like a member's. Counts, outcomes and close codes
only: no assertion depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import msgpack
import pytest
from websockets.asyncio.client import connect

from tests.support.procs import start_server_process
from tests.support.wsclient import RawClient, seed

from protocol.codec import MAX_FRAME_BYTES, decode_command
from protocol.errors import CloseCode, ErrorCode, ProtocolError
from protocol.messages import MAX_ITEMS, PROTOCOL_VERSION, parse_command
from server.edge import RelayServer

TIMEOUT = 10
RATE, BURST = 20.0, 10
PENALTY = 1.0  # seconds a flooder may not come back (a test's short one)


def _errors(client: RawClient, code: str) -> list[dict]:
    return [f for f in client.frames if f.get("kind") == "error" and f.get("code") == code]


async def test_a_flooding_socket_gets_one_rate_limit_error_then_is_closed_and_the_others_carry_on(tmp_path):
    async with RelayServer(tmp_path / "data", rate_per_s=RATE, burst=BURST, flood_penalty=PENALTY) as relay:
        seeded = seed(relay.store, relay.url)
        store, gid = relay.store, seeded.group_id
        sam_cred, alex_cred, riley_cred = seeded.participants
        async with contextlib.AsyncExitStack() as stack:
            dana = await stack.enter_async_context(RawClient(relay.url, seeded.facilitator.token))
            sam = await stack.enter_async_context(RawClient(relay.url, sam_cred.token))
            alex = await stack.enter_async_context(RawClient(relay.url, alex_cred.token))
            riley = await stack.enter_async_context(RawClient(relay.url, riley_cred.token))
            for c in (dana, sam, alex, riley):
                await c.wait_synced(TIMEOUT)
            assert sam.welcome["limits"]["burst"] == BURST
            head = store.head_seq(gid)

            flood = 300
            with contextlib.suppress(Exception):  # the relay may close Sam mid-flood
                for i in range(flood):
                    await sam.send("chat.send", {"text": f"flood {i}"}, id=f"flood-{i}")
            assert await sam.wait_closed(TIMEOUT) == CloseCode.FLOODING
            assert sam.ws.close_reason, "a flooder is told why it was closed"

            limited = _errors(sam, ErrorCode.RATE_LIMITED)
            assert len(limited) == 1, f"a burst got {len(limited)} rate_limited errors, not one"
            assert limited[0]["message"]
            acked = [f for f in sam.frames if f.get("kind") == "ack"]
            assert 1 <= len(acked) <= BURST + 1

            # What was dropped is not stored; what was acked is stored exactly once.
            stored = [e for e in store.events_after(gid, head) if e.actor == sam_cred.member_id]
            assert sorted(e.seq for e in stored) == sorted(a["seq"] for a in acked)

            # Everyone else carries on: Alex's lines are acked and reach the others once each.
            alex_acks = [(await alex.command("chat.send", {"text": f"calm {i}"}, timeout=TIMEOUT))["seq"] for i in range(5)]
            for c in (dana, riley, alex):
                await c.recv_until(lambda f: f.get("kind") == "event" and f["seq"] >= alex_acks[-1], TIMEOUT, consume=False)
                seqs = [f["seq"] for f in c.events]
                assert len(seqs) == len(set(seqs))
                assert set(alex_acks) <= set(seqs)

            # Coming straight back is held (unread) until the penalty is over; then
            # the member may resume and is served while it keeps to the rate.
            penalty_ends = relay._benched[sam_cred.member_id]
            async with RawClient(relay.url, sam_cred.token, resume_from=dana.last_seq) as again:
                await again.wait_synced(TIMEOUT)
                assert asyncio.get_running_loop().time() >= penalty_ends, "welcomed before the flooding penalty was over"
                for i in range(3):
                    await again.command("chat.send", {"text": f"paced {i}"}, timeout=TIMEOUT)
                    await asyncio.sleep(2 / RATE)
                assert again.close_code is None


async def test_a_flood_of_bad_frames_gets_one_error_is_closed_and_costs_others_nothing(tmp_path):
    async with RelayServer(tmp_path / "data", rate_per_s=RATE, burst=BURST) as relay:
        seeded = seed(relay.store, relay.url)
        store, gid = relay.store, seeded.group_id
        async with contextlib.AsyncExitStack() as stack:
            guest = await stack.enter_async_context(RawClient(relay.url, seeded.guest.token))
            dana = await stack.enter_async_context(RawClient(relay.url, seeded.facilitator.token))
            alex = await stack.enter_async_context(RawClient(relay.url, seeded.participants[1].token))
            for c in (guest, dana, alex):
                await c.wait_synced(TIMEOUT)
            await dana.command("session.start", {"title": "Flooded"})
            head = store.head_seq(gid)
            with contextlib.suppress(Exception):
                for i in range(500):
                    await guest.send_raw(b"\xc1not msgpack" if i % 2 else "text frame")
            assert await guest.wait_closed(TIMEOUT) == CloseCode.FLOODING
            assert len(_errors(guest, ErrorCode.RATE_LIMITED)) == 1
            # Within its burst each bad frame was answered; past it, nothing more.
            assert len(_errors(guest, ErrorCode.BAD_FRAME)) <= BURST
            lines = [(await alex.command("chat.send", {"text": f"line {i}"}, timeout=TIMEOUT))["seq"] for i in range(5)]
            await dana.recv_until(lambda f: f.get("kind") == "event" and f["seq"] >= lines[-1], TIMEOUT, consume=False)
            assert [e.actor for e in store.events_after(gid, head)] == [seeded.participants[1].member_id] * 5


async def test_more_connections_do_not_multiply_a_members_rate(tmp_path):
    """A member flooding from all its connections gets no more than one bucket's worth stored.

    The refill rate is made negligible so the bound does not depend on time.
    """
    async with RelayServer(tmp_path / "data", rate_per_s=0.001, burst=BURST) as relay:
        seeded = seed(relay.store, relay.url)
        sam_cred = seeded.participants[0]
        head = relay.store.head_seq(seeded.group_id)
        async with contextlib.AsyncExitStack() as stack:
            conns = [await stack.enter_async_context(RawClient(relay.url, sam_cred.token)) for _ in range(3)]
            for c in conns:
                await c.wait_synced(TIMEOUT)
            for n, c in enumerate(conns):
                with contextlib.suppress(Exception):
                    for i in range(3 * BURST):
                        await c.send("chat.send", {"text": f"{n}-{i}"})
            for c in conns:
                assert await c.wait_closed(TIMEOUT) == CloseCode.FLOODING
            stored = [e for e in relay.store.events_after(seeded.group_id, head) if e.actor == sam_cred.member_id]
            assert 1 <= len(stored) <= BURST + 1, f"{len(stored)} commands got through for one member with a burst of {BURST}"


async def test_a_big_frame_costs_more_of_the_rate_than_a_small_one(tmp_path):
    """Tokens are counted per started 8 KiB, so the costliest frames get through less often."""
    async with RelayServer(tmp_path / "data", rate_per_s=0.001, burst=BURST) as relay:
        seeded = seed(relay.store, relay.url)
        async with RawClient(relay.url, seeded.participants[0].token) as sam:
            await sam.wait_synced(TIMEOUT)
            big = msgpack.packb({"kind": "chat.send", "id": "x", "data": {"text": "y" * (MAX_FRAME_BYTES - 200)}})
            with contextlib.suppress(Exception):
                for _ in range(4 * BURST):
                    await sam.send_raw(big)
            assert await sam.wait_closed(TIMEOUT) == CloseCode.FLOODING
            answered = [f for f in sam.frames if f.get("kind") == "error" and f.get("code") != ErrorCode.RATE_LIMITED]
            assert len(answered) <= BURST // 8 + 1, f"{len(answered)} frames of 64 KiB were decoded on a burst of {BURST}"


async def test_a_fourth_connection_of_one_member_closes_the_oldest(relay, seeded):
    sam_cred = seeded.participants[0]
    async with contextlib.AsyncExitStack() as stack:
        dana = await stack.enter_async_context(RawClient(relay.url, seeded.facilitator.token))
        await dana.wait_synced(TIMEOUT)
        conns = []
        for _ in range(4):
            c = await stack.enter_async_context(RawClient(relay.url, sam_cred.token))
            await c.wait_synced(TIMEOUT)
            conns.append(c)
        assert await conns[0].wait_closed(TIMEOUT) == CloseCode.REPLACED
        assert "connection" in conns[0].ws.close_reason
        for c in conns[1:]:
            await c.command("chat.send", {"text": "still here"}, timeout=TIMEOUT)
            assert c.close_code is None
        # Sam never looked offline to the group: a newer connection took the old one's place.
        assert not [f for f in dana.frames if f.get("kind") == "presence" and f.get("status") == "offline"]


async def test_a_hundred_connections_of_one_token_leave_three_open_and_another_member_still_joins(relay, seeded):
    sam_cred = seeded.participants[0]
    async with contextlib.AsyncExitStack() as stack:
        dana = await stack.enter_async_context(RawClient(relay.url, seeded.facilitator.token))
        await dana.wait_synced(TIMEOUT)
        for i in range(30):
            await dana.command("chat.send", {"text": f"history {i}"}, timeout=TIMEOUT)
        conns = []
        for _ in range(100):
            c = await stack.enter_async_context(RawClient(relay.url, sam_cred.token))
            conns.append(c)
        for c in conns[-3:]:
            await c.wait_synced(TIMEOUT)
        codes = [await c.wait_closed(TIMEOUT) for c in conns[:-3]]
        assert codes == [CloseCode.REPLACED] * 97
        alex = await stack.enter_async_context(RawClient(relay.url, seeded.participants[1].token))
        await alex.wait_synced(TIMEOUT)
        assert len([e for e in alex.events if e["type"] == "chat.posted"]) == 30


def _open_idle(port: int, count: int, source: str) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def _closed_by_peer(s: socket.socket) -> bool:
    try:
        return s.recv(1, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except ConnectionError:
        return True


async def test_fifty_silent_sockets_from_one_address_are_refused_past_the_cap_while_a_member_joins(tmp_path):
    cap = 16
    async with RelayServer(tmp_path / "data", max_pending_per_address=cap) as relay:
        seeded = seed(relay.store, relay.url)
        socks = await asyncio.to_thread(_open_idle, relay.port, 50, "127.0.0.2")
        try:
            # A real member (from another address) joins and works meanwhile.
            async with RawClient(relay.url, seeded.participants[0].token) as sam:
                await sam.wait_synced(TIMEOUT)
                await sam.command("chat.send", {"text": "I got in"}, timeout=TIMEOUT)

                async def refused() -> int:
                    while True:
                        n = sum(_closed_by_peer(s) for s in socks)
                        if n >= 50 - cap:
                            return n
                        await asyncio.sleep(0.05)

                refused_count = await asyncio.wait_for(refused(), TIMEOUT)
                assert refused_count == 50 - cap
        finally:
            for s in socks:
                s.close()


@pytest.mark.serial
def test_sockets_beyond_the_open_files_limit_are_logged_once_per_interval_without_tracebacks(tmp_path):
    """Silent sockets from many addresses exhaust a relay limited to 80 open files:
    it says so in a line now and then, not a traceback per refused accept."""
    with start_server_process(tmp_path / "data", open_files=80) as server:
        port = int(server.url.rsplit(":", 1)[1].rstrip("/"))
        socks = []
        try:
            for n in range(2, 12):
                socks += _open_idle(port, 12, f"127.0.0.{n}")
            # Give the relay the chance to fail accepting many times over.
            with socket.create_connection(("127.0.0.1", port)) as probe:
                probe.settimeout(3)
                with contextlib.suppress(OSError):
                    probe.recv(1)
        finally:
            for s in socks:
                s.close()
        server.stop()
        log = server.stderr_text()
    assert "Traceback" not in log, log[:2000]
    lines = [line for line in log.splitlines() if "accept" in line]
    assert 1 <= len(lines) <= 3, lines[:5]
    assert "open files" in lines[0] or "Too many" in lines[0], lines[0]


def test_a_frame_holding_a_longer_list_or_larger_map_than_any_command_needs_is_refused_unbuilt():
    for frame in (
        {"kind": "chat.send", "id": "x", "data": {"text": "hi", "junk": list(range(1000))}},
        {"kind": "chat.send", "id": "x", "data": {f"k{i}": i for i in range(100)}},
    ):
        with pytest.raises(ProtocolError) as info:
            decode_command(msgpack.packb(frame))
        assert info.value.code == ErrorCode.BAD_FRAME
    # The limits never refuse a frame a real command may send.
    frame = {"kind": "poll.create", "id": "x", "data": {"question": "q", "options": [f"o{i}" for i in range(MAX_ITEMS)]}}
    assert decode_command(msgpack.packb(frame)) == frame
    entry = {"day": "2026-01-05", "mood": 4, "feelings": ["calm"] * 8, "note": "n"}
    frame = {"kind": "homework.submit", "id": "x", "data": {"homework_id": 1, "checked": list(range(MAX_ITEMS)), "log": [entry] * 14}}
    assert parse_command(decode_command(msgpack.packb(frame))).kind == "homework.submit"


def test_a_deeply_nested_frame_is_refused():
    nested: object = 1
    for _ in range(200):
        nested = [nested]
    with pytest.raises(ProtocolError) as info:
        decode_command(msgpack.packb({"kind": "chat.send", "id": "x", "data": {"text": nested}}))
    assert info.value.code == ErrorCode.BAD_FRAME


async def test_a_huge_or_nested_frame_over_the_relay_gets_bad_frame_and_the_connection_stays(relay, seeded):
    async with RawClient(relay.url, seeded.participants[0].token) as sam:
        await sam.wait_synced(TIMEOUT)
        await sam.send_raw(msgpack.packb({"kind": "chat.send", "id": "a", "data": {"text": "x", "j": [0] * 4096}}))
        await sam.send_raw(b"\x81\xa4kind" + b"\x91" * 5000 + b"\x01")
        await sam.recv_until(lambda f: f.get("kind") == "error", TIMEOUT)
        await sam.recv_until(lambda f: f.get("kind") == "error", TIMEOUT)
        assert len(_errors(sam, ErrorCode.BAD_FRAME)) == 2
        await sam.command("chat.send", {"text": "still fine"}, timeout=TIMEOUT)


async def test_a_guest_that_never_reads_is_paced_not_flooded_and_gets_the_whole_session_when_it_reads(tmp_path):
    """The session holds about 6 MB; a guest that stops reading pins about one chunk
    of it on the relay (not the session), is not dropped for it, and later gets every
    event of the session once, in order."""
    async with RelayServer(tmp_path / "data", rate_per_s=10_000, burst=10_000) as relay:
        seeded = seed(relay.store, relay.url)
        async with contextlib.AsyncExitStack() as stack:
            dana = await stack.enter_async_context(RawClient(relay.url, seeded.facilitator.token))
            await dana.wait_synced(TIMEOUT)
            await dana.command("session.start", {"title": "Long"}, timeout=TIMEOUT)
            async with RawClient(relay.url, seeded.guest.token) as early:
                await early.wait_synced(TIMEOUT)  # the guest arrives: what follows is theirs to see
            text = "z" * 1990
            ids = [await dana.send("chat.send", {"text": f"{i} {text}"}) for i in range(3000)]
            last = await dana.wait_ack(ids[-1], 60)
            assert last["kind"] == "ack"
            head = last["seq"]

            # The guest's socket takes little into the kernel (a small receive
            # buffer), so what the relay keeps for it shows in the relay's own buffer.
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", relay.port))
            sock.setblocking(False)
            guest = await connect(relay.url, sock=sock, compression=None, max_size=None)
            stack.push_async_callback(guest.close)
            guest.transport.pause_reading()
            await guest.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": seeded.guest.token, "resume_from": None}))
            conn = None
            while conn is None:  # wait until the relay holds the guest's connection
                conn = next(iter(relay.connections(seeded.guest.member_id)), None)
                await asyncio.sleep(0.01)
            # Let the relay do all it would do for a guest that does not read.
            for _ in range(50):
                await asyncio.sleep(0.01)
            pinned = conn.ws.transport.get_write_buffer_size()
            assert not conn.closing, "a joining guest that reads slowly was dropped"
            assert pinned <= 4 * 64 * 1024, f"the relay holds {pinned} bytes for a guest that never read"

            guest.transport.resume_reading()
            frames = []
            async for message in guest:
                frame = msgpack.unpackb(message, raw=False, strict_map_key=False)
                frames.append(frame)
                if frame.get("kind") == "synced":
                    break
            events = [f for f in frames if f.get("kind") == "event"]
            seqs = [f["seq"] for f in events]
            assert seqs == sorted(set(seqs))
            assert len([f for f in events if f["type"] == "chat.posted"]) == 3000
            assert seqs[-1] == head


async def test_a_guest_still_replaying_when_the_session_ends_gets_no_line_written_between_sessions(tmp_path):
    async with RelayServer(tmp_path / "data", rate_per_s=10_000, burst=10_000) as relay:
        seeded = seed(relay.store, relay.url)
        async with contextlib.AsyncExitStack() as stack:
            dana = await stack.enter_async_context(RawClient(relay.url, seeded.facilitator.token))
            await dana.wait_synced(TIMEOUT)
            await dana.command("session.start", {"title": "First"}, timeout=TIMEOUT)
            async with RawClient(relay.url, seeded.guest.token) as early:
                await early.wait_synced(TIMEOUT)  # the guest arrives: what follows is theirs to see
            ids = [await dana.send("chat.send", {"text": f"{i} " + "z" * 1990}) for i in range(3000)]
            assert (await dana.wait_ack(ids[-1], 60))["kind"] == "ack"

            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", relay.port))
            sock.setblocking(False)
            guest = await connect(relay.url, sock=sock, compression=None, max_size=None)
            stack.push_async_callback(guest.close)
            guest.transport.pause_reading()
            await guest.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": seeded.guest.token, "resume_from": None}))
            while not relay.connections(seeded.guest.member_id):
                await asyncio.sleep(0.01)
            (conn,) = relay.connections(seeded.guest.member_id)
            assert not conn.live

            await dana.command("session.end", {}, timeout=TIMEOUT)
            between = (await dana.command("chat.send", {"text": "between sessions"}, timeout=TIMEOUT))["seq"]
            await dana.command("session.start", {"title": "Second"}, timeout=TIMEOUT)
            after = (await dana.command("chat.send", {"text": "in the second"}, timeout=TIMEOUT))["seq"]
            assert not conn.live, "the guest's replay was not paced"

            guest.transport.resume_reading()
            events = []
            async for message in guest:
                frame = msgpack.unpackb(message, raw=False, strict_map_key=False)
                if frame.get("kind") == "event":
                    events.append(frame)
                if frame.get("kind") == "synced":
                    break
            seqs = [f["seq"] for f in events]
            assert between not in seqs
            assert after in seqs
            assert [f["type"] for f in events].count("session.ended") == 1
            assert not [f for f in events if f.get("data", {}).get("text") == "between sessions"]
