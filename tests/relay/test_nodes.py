"""Several relay nodes on one PostgreSQL database (issue 16): placement, forwarding, fencing.

Real subprocess relays (``python -m server serve --store postgresql://...
--node-id ...``) on one fresh schema, real websockets on loopback. Node A owns
a group once a member of it joins there; a member who connects to node B is
forwarded to A, and every rule is A's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager

import msgpack
import psycopg
import pytest

from iop_tui.core import words
from iop_tui.core.connection import OWNER_MOVED_JITTER, Connection
from protocol.errors import CloseCode
from protocol.events import Draft
from protocol.roles import FACILITATORS
from server.edge import RelayServer
from server.store import open_store
from tests.support.pg import seeded_pg
from tests.support.procs import ServerProcess, run_cli, start_server_process
from tests.support.wsclient import RawClient, Seeded, is_event, until

SECRET = "s3cret-for-tests"


@contextmanager
def nodes(url: str, *names: str, extra: tuple[str, ...] = ()) -> Iterator[list[ServerProcess]]:
    with ExitStack() as stack:
        procs = [
            stack.enter_context(start_server_process(
                url, 0, "--store", url, "--node-id", name, "--internal-secret", SECRET, "--quiet", *extra,  # type: ignore[arg-type]
            ))
            for name in names
        ]
        yield procs


@pytest.fixture
def seeded(pg_url: str) -> Seeded:
    return seeded_pg(pg_url)[0]


def owner_of(url: str, group_id: int) -> tuple[str | None, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT owner_node, owner_epoch FROM groups WHERE id = %s", (group_id,)).fetchone()
    assert row is not None
    return row[0], row[1]


def stored(url: str, group_id: int) -> list[tuple[int, str, bytes]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [tuple(r) for r in conn.execute("SELECT seq, type, data FROM events WHERE group_id = %s ORDER BY seq", (group_id,))]


async def slow_hello(client: RawClient, token: str, timeout: float) -> None:
    """Say hello on a client opened with ``hello=False`` and wait up to ``timeout`` for the welcome."""
    await client.send_frame({"kind": "hello", "v": client.version, "token": token, "resume_from": None, "client": "tests"})
    first = await client.recv_until(lambda f: f.get("kind") in ("welcome", "error"), timeout, consume=False)
    client.welcome = first if first.get("kind") == "welcome" else None


def seqs(client: RawClient) -> list[int]:
    return [f["seq"] for f in client.events]


@asynccontextmanager
async def running_client(url: str, token: str) -> AsyncIterator[tuple[Connection, list[dict]]]:
    """The product's client connected to ``url`` (a 30 s backoff: a quick reconnect is a 4012's
    or a route's) once it is synced, with every frame it reports; closed on exit."""
    conn = Connection(url, token, backoff=(30.0,))
    frames: list[dict] = []
    conn.add_listener(frames.append)
    task = asyncio.create_task(conn.run())
    try:
        await until(lambda: any(f["kind"] == "synced" for f in frames), "the client's first sync", timeout=10.0)
        yield conn, frames
    finally:
        await conn.close()
        await asyncio.wait_for(task, 5)


async def test_a_member_who_leaves_node_a_resumes_through_node_b_with_exactly_what_they_missed(pg_url, seeded):
    sam_c = seeded.participants[0]
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            assert owner_of(pg_url, seeded.group_id)[0] == "a"
            async with RawClient(a.url, sam_c.token) as sam:
                await sam.wait_synced()
                await dana.command("chat.send", {"text": "one"})
                await sam.recv_until(is_event("chat.posted", text="one"))
                held = sam.last_seq
            missed = [(await dana.command("chat.send", {"text": f"missed {i}"}))["seq"] for i in range(3)]
            async with RawClient(b.url, sam_c.token, resume_from=held) as sam:
                synced = await sam.wait_synced()
                assert sam.welcome is not None and sam.welcome["mode"] == "resume" and sam.welcome["replay_from"] == held + 1
                assert seqs(sam) == missed and synced["head_seq"] == missed[-1]
                # Live both ways through B: Sam's line reaches Dana on A, Dana's reaches Sam on B.
                mine = await sam.command("chat.send", {"text": "from b"})
                await dana.recv_until(is_event("chat.posted", text="from b"))
                live = await dana.command("chat.send", {"text": "live again"})
                await sam.recv_until(is_event("chat.posted", text="live again"))
                assert seqs(sam) == [*missed, mine["seq"], live["seq"]]
            assert owner_of(pg_url, seeded.group_id)[0] == "a"  # B forwarded; it never claimed


async def test_the_same_command_id_sent_through_two_nodes_at_once_has_one_effect(pg_url, seeded):
    sam_c = seeded.participants[0]
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana, RawClient(a.url, sam_c.token) as via_a, RawClient(b.url, sam_c.token) as via_b:
            for c in (dana, via_a, via_b):
                await c.wait_synced()
            cid = "same-id-1"
            await asyncio.gather(via_a.send("chat.send", {"text": "once"}, id=cid), via_b.send("chat.send", {"text": "once"}, id=cid))
            first, second = await asyncio.gather(via_a.wait_ack(cid), via_b.wait_ack(cid))
            assert first["kind"] == second["kind"] == "ack" and first["seq"] == second["seq"]
            await dana.recv_until(is_event("chat.posted", text="once"))
            await dana.command("chat.send", {"text": "after"})
            await dana.recv_until(is_event("chat.posted", text="after"))
            assert sum(1 for f in dana.events if f["type"] == "chat.posted" and f["data"]["text"] == "once") == 1
            assert sum(1 for _seq, etype, _d in stored(pg_url, seeded.group_id) if etype == "chat.posted") == 2


async def test_the_audience_rule_and_the_guest_rules_hold_over_a_forwarded_connection(pg_url, seeded):
    """A private line and a guest's first-names view, through B, are the owner's (A's) rules."""
    store = open_store(pg_url)
    try:
        morgan_id, morgan_token = store.add_member(seeded.group_id, "Morgan Lee-Hart", "participant")
    finally:
        store.close()
    alex_c = seeded.participants[1]
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            await dana.command("session.start", {"title": "Week 3"})
            async with RawClient(b.url, morgan_token) as morgan, RawClient(b.url, alex_c.token) as alex:
                await morgan.wait_synced()
                await alex.wait_synced()
                # Morgan's private line (through B) reaches the facilitators (on A), never Alex (through B).
                private = await morgan.command("chat.send", {"text": "PRIVATE-LINE for the facilitators", "to": "facilitators"})
                await dana.recv_until(is_event("chat.posted", text="PRIVATE-LINE for the facilitators"))
                reply = await dana.command("chat.reply", {"member_id": morgan_id, "text": "PRIVATE-REPLY to Morgan"})
                await morgan.recv_until(is_event("chat.posted", text="PRIVATE-REPLY to Morgan"))
                async with RawClient(b.url, seeded.guest.token) as jo:
                    await jo.wait_synced()
                    public = await morgan.command("chat.send", {"text": "hello Jo"})
                    await jo.recv_until(is_event("chat.posted", text="hello Jo"))
                    await alex.recv_until(is_event("chat.posted", text="hello Jo"))
                    assert {private["seq"], reply["seq"]}.isdisjoint(seqs(alex)) and public["seq"] in seqs(alex)
                    assert {private["seq"], reply["seq"]}.isdisjoint(seqs(jo))
                    # The guest reads people by first name only, and nothing private.
                    assert [f["actor_name"] for f in jo.events if f["type"] == "chat.posted"] == ["Morgan"]
                    assert "Lee-Hart" not in repr(jo.frames) and "PRIVATE" not in repr(jo.frames)
                    assert "PRIVATE" not in repr(alex.frames)


async def test_a_paused_owner_is_fenced_and_nothing_it_decides_reaches_anyone(pg_url, seeded):
    """SIGSTOP the owner past its lease; a member connects through B, which claims the group;
    SIGCONT: the old owner's next commit is refused and its members are told the group moved."""
    sam_c, alex_c, riley_c = seeded.participants
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana, RawClient(a.url, sam_c.token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            await dana.command("chat.send", {"text": "before"})
            _, epoch = owner_of(pg_url, seeded.group_id)
            riley = await RawClient(b.url, riley_c.token).__aenter__()  # forwarded by B to A
            await riley.wait_synced()
            os.kill(a.pid, signal.SIGSTOP)
            try:
                # Sam writes while A is paused: the frame waits in A's socket.
                await sam.send("chat.send", {"text": "decided by the paused owner"}, id="paused-1")
                # B sees A's lease lapse and tells the member it forwards that the group moved.
                assert await riley.wait_closed(timeout=15) == CloseCode.OWNER_MOVED
                await riley.close()
                async with RawClient(b.url, alex_c.token, hello=False) as alex:
                    await slow_hello(alex, alex_c.token, 20)  # B waits out A's lease, then claims
                    await alex.wait_synced()
                    assert owner_of(pg_url, seeded.group_id) == ("b", epoch + 1)
                    head = alex.welcome["head_seq"] if alex.welcome else -1
                    os.kill(a.pid, signal.SIGCONT)
                    for c in (dana, sam):
                        assert await c.wait_closed(timeout=10) == CloseCode.OWNER_MOVED
                    after = await alex.command("chat.send", {"text": "from the new owner"})
                    assert after["seq"] == head + 1
                    texts = [f["data"].get("text") for f in alex.events if f["type"] == "chat.posted"]
                    assert "decided by the paused owner" not in texts
                    assert b"decided by the paused owner" not in b"".join(d for _s, _t, d in stored(pg_url, seeded.group_id))
                    assert [s for s, _t, _d in stored(pg_url, seeded.group_id)] == list(range(1, after["seq"] + 1))
            finally:
                os.kill(a.pid, signal.SIGCONT)


async def test_the_client_reconnects_at_once_on_4012_and_resumes_where_the_group_moved(pg_url, seeded):
    """Sam's client is forwarded by B to A; A stops cleanly (its groups released, its links
    closed with 4012): the client reconnects at once (its backoff is 30 s), B claims the
    group, and the command sent as A stopped is applied exactly once."""
    sam_c = seeded.participants[0]
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            async with running_client(b.url, sam_c.token) as (conn, frames):
                one = await dana.command("chat.send", {"text": "one"})
                await until(lambda: conn.last_seq == one["seq"], "Sam to receive 'one'", timeout=10.0)
                a.proc.send_signal(signal.SIGTERM)
                conn.send("chat.send", {"text": "sent as A stopped"})
                assert await dana.wait_closed(timeout=10) in (CloseCode.OWNER_MOVED, 1001)
                await until(lambda: not conn.outbox and sum(f["kind"] == "welcome" for f in frames) == 2, "Sam to resume and be answered", timeout=10.0)
                moved = [f for f in frames if f["kind"] == "status" and f.get("message") == words.OWNER_MOVED_TEXT]
                assert moved and moved[0]["retry_in"] <= OWNER_MOVED_JITTER
                second = [f for f in frames if f["kind"] == "welcome"][1]
                assert second["mode"] == "resume" and second["replay_from"] > one["seq"]  # from what it held
                assert owner_of(pg_url, seeded.group_id)[0] == "b"
                rows = stored(pg_url, seeded.group_id)
                assert sum(1 for _s, _t, d in rows if b"sent as A stopped" in d) == 1
                got = [f["seq"] for f in frames if f["kind"] == "event"]
                assert got == sorted(set(got)) and got[-1] == rows[-1][0]


async def first_answer(client: RawClient, token: str) -> dict:
    """Say hello on a client opened with ``hello=False``; its first answer: route, welcome or error."""
    await client.send_frame({"kind": "hello", "v": client.version, "token": token, "resume_from": None, "client": "tests"})
    return await client.recv_until(lambda f: f.get("kind") in ("route", "welcome", "error"), 10)


async def test_a_route_aware_member_at_a_node_that_does_not_own_their_group_is_named_the_owner_instead_of_forwarded(pg_url, seeded):
    """Every welcome names the owner (A). Sam, through B with the route cookie empty or naming a
    node that does not own his group, is sent a route frame naming A and closed with 4012, nothing
    else; with the cookie naming A (the balancer did not route by it) or without the cookie (a
    client that does not know routes), B forwards him as before."""
    sam_c = seeded.participants[0]
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            assert dana.welcome is not None and dana.welcome["route"] == "a"
            for cookie in ("iop_node=", "iop_node=b", "theme=dark; iop_node=gone-node", 'iop_node="b"', "iop_node=no route!"):
                async with RawClient(b.url, sam_c.token, hello=False, cookie=cookie) as sam:
                    answer = await first_answer(sam, sam_c.token)
                    assert answer == {"kind": "route", "route": "a"}, cookie
                    assert await sam.wait_closed(timeout=10) == CloseCode.OWNER_MOVED
                    assert [f["kind"] for f in sam.frames] == ["route"]
            for cookie in ("iop_node=a", None):
                async with RawClient(b.url, sam_c.token, cookie=cookie) as sam:
                    assert sam.welcome is not None and sam.welcome["route"] == "a", cookie
                    await sam.wait_synced()
                    await sam.command("chat.send", {"text": f"through b with {cookie}"})
            assert owner_of(pg_url, seeded.group_id)[0] == "a"


async def test_the_client_goes_round_to_its_groups_owner_once_quietly_and_keeps_its_name(pg_url, seeded):
    """Sam's client reaches B, which does not own his group: it is named A, comes back (here to B
    again, as a balancer that does not route by the cookie would send it) asking for A, and is
    forwarded; one welcome, no 'reconnecting' said, and the route kept for the next connection."""
    sam_c = seeded.participants[0]
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            async with running_client(b.url, sam_c.token) as (conn, frames):
                assert conn.route == "a"
                assert sum(f["kind"] == "welcome" for f in frames) == 1
                assert [f["state"] for f in frames if f["kind"] == "status"] == ["connecting", "connected"]
                conn.send("chat.send", {"text": "forwarded, once"})
                await dana.recv_until(is_event("chat.posted", text="forwarded, once"), 10)


def test_serve_refuses_a_node_id_a_balancer_cannot_route_by_in_one_sentence(pg_url):
    refused = run_cli("serve", "--port", "0", "--store", pg_url, "--node-id", "node 1;x")
    assert refused.returncode != 0
    assert "--node-id 'node 1;x' is not a node id" in refused.stderr and "Traceback" not in refused.stderr


async def test_nodes_lists_each_relay_node_its_lease_and_the_groups_it_owns(pg_url, seeded):
    """An operator's view of the fleet: A owns the group Dana joined, B owns none, both leases
    live; once both stop (their rows deleted, their groups released) none is listed and the
    group has no owner."""
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            listed = run_cli("nodes", "--store", pg_url)
            assert listed.returncode == 0, listed.stderr
            rows = {line.split("\t")[0]: line.split("\t")[1:] for line in listed.stdout.splitlines()}
            assert rows["a"][0].startswith("ws://") and rows["a"][1].startswith("lease ") and rows["a"][2] == "owns 1 group"
            assert rows["b"][2] == "owns 0 groups"
            as_json = json.loads(run_cli("nodes", "--store", pg_url, "--json").stdout)
            assert [(n["node_id"], n["live"], n["groups"]) for n in as_json["nodes"]] == [("a", True, 1), ("b", True, 0)]
            assert as_json["groups_without_a_live_owner"] == 0
        assert a.stop() == 0 and b.stop() == 0
    after = run_cli("nodes", "--store", pg_url)
    assert after.returncode == 0, after.stderr
    assert after.stdout.splitlines() == [
        "No relay node has registered with this store yet.",
        "1 group has no owner with a live lease: the node their next member reaches claims it.",
    ]


async def test_a_group_idle_on_its_owner_is_released_and_its_next_session_is_served_where_its_first_member_lands(pg_url, seeded):
    """Between sessions the groups spread again: A owned the group while Dana was in it; once
    nobody has been in it for --release-idle, A releases it (no owner in the database), and the
    next session's first member, who reaches B, is served by B, which claims it (a new epoch)
    rather than forwarding to A. The log goes on with no gap, and A keeps nothing of it."""
    gid = seeded.group_id
    with nodes(pg_url, "a", "b", extra=("--release-idle", "0.5")) as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            week1 = await dana.command("chat.send", {"text": "week 1"})
            owner, epoch = owner_of(pg_url, gid)
            assert owner == "a"
            await asyncio.sleep(2.5)  # past --release-idle with Dana in the room: A keeps it
            assert owner_of(pg_url, gid) == ("a", epoch)
        for _ in range(100):
            if owner_of(pg_url, gid)[0] is None:
                break
            await asyncio.sleep(0.2)
        assert owner_of(pg_url, gid) == (None, epoch)  # released, its epoch untouched
        async with RawClient(b.url, seeded.participants[0].token) as sam:
            await sam.wait_synced()
            assert owner_of(pg_url, gid) == ("b", epoch + 1)  # claimed by the node Sam reached
            assert any(e["type"] == "chat.posted" and e["data"]["text"] == "week 1" for e in sam.events)
            week2 = await sam.command("chat.send", {"text": "week 2"})
            assert week2["seq"] > week1["seq"]
            async with RawClient(a.url, seeded.facilitator.token) as dana:  # forwarded to B now
                await dana.wait_synced()
                assert any(e["type"] == "chat.posted" and e["data"]["text"] == "week 2" for e in dana.events)
        assert [seq for seq, _t, _d in stored(pg_url, gid)] == list(range(1, week2["seq"] + 1))


def test_nodes_on_a_sqlite_folder_is_refused_in_one_sentence(tmp_path):
    refused = run_cli("nodes", "--data", str(tmp_path / "data"))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip() == (
        "iop-server: A SQLite folder is served by one relay node only; 'nodes' lists the nodes sharing a PostgreSQL store (--store postgresql://...)."
    )


def deck(i: int, size: int = 58_000) -> str:
    per = size // 4
    return "\n---\n".join(f"# Deck {i} slide {s}\n" + ("calm breathing\n" * (per // 15))[: per - 40] for s in range(4))


async def test_a_forwarded_member_that_stops_reading_is_cut_by_its_node_and_never_slows_the_owner(pg_url, seeded):
    """Riley, through B, stops reading: B (not the owner) holds the backlog up to its send
    buffer and closes Riley; Sam on the owner receives every deck meanwhile."""
    sam_c, _alex, riley_c = seeded.participants
    limits = {"rate_per_s": 1000, "burst": 1000, "send_buffer": 256 * 1024}
    async with RelayServer(pg_url, node_id="a", **limits) as a, RelayServer(pg_url, node_id="b", **limits) as b:
        async with RawClient(a.url, seeded.facilitator.token) as dana, RawClient(a.url, sam_c.token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            async with RawClient(b.url, riley_c.token) as riley:
                await riley.wait_synced()
                assert len(b._splices) == 1  # forwarded byte for byte
                # A receive buffer of its own size, not the kernel's autotuned one (up to 32 MB on
                # some machines, more than the 400 decks): what B holds is then B's to bound.
                riley.ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
                riley.ws.transport.pause_reading()
                for i in range(400):
                    assert (await dana.command("deck.load", {"markdown": deck(i)}, timeout=10))["kind"] == "ack"
                    # Sam, on the owner, holds each deck before the next is sent.
                    await sam.recv_until(lambda f, i=i: f.get("type") == "deck.loaded" and f["data"]["title"] == f"Deck {i} slide 0", timeout=10)
                    if all(splice.member_t.is_closing() for splice in b._splices):
                        break  # B is closing Riley: a close frame, then the cut (Splice.end)
                assert i < 399, "node B never closed the member that stopped reading"
                # A member that reads nothing more is cut 2 s after its close frame; meanwhile
                # Dana stops sending (the decks would run through her rate on a fast machine).
                for _ in range(100):
                    if not b._splices:
                        break
                    await asyncio.sleep(0.1)
                assert not b._splices, "node B never closed the member that stopped reading"
                riley.ws.transport.resume_reading()


async def test_a_node_that_claims_a_group_it_read_before_serves_it_from_the_store_not_from_its_stale_room(pg_url, seeded):
    """Node B read the group while A owned it (as the reminders do); A stops; B claims the
    group: its members get what A committed meanwhile, and B's own commits go through."""
    sam_c = seeded.participants[0]
    async with RelayServer(pg_url, node_id="a") as a, RelayServer(pg_url, node_id="b") as b:
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            b.hub.room(seeded.group_id)  # read while A owns it
            said = await dana.command("chat.send", {"text": "said on A"})
        await a.stop()
        async with RawClient(b.url, sam_c.token) as sam:
            await sam.wait_synced()
            assert said["seq"] in seqs(sam)
            after = await sam.command("chat.send", {"text": "said on B"})
            assert after["seq"] == sam.welcome["head_seq"] + 1
            assert owner_of(pg_url, seeded.group_id)[0] == "b"


async def test_every_commit_of_a_relay_on_postgresql_is_fenced_by_its_epoch(pg_url, seeded):
    """Another node's claim (the epoch moved in the database): this relay's next batch of the
    group is refused, nothing of it stored or delivered, and its members are told the group moved.
    (A guard for every connection that commits the hub's batches, a commit thread's included.)"""
    sam_c = seeded.participants[0]
    async with RelayServer(pg_url, node_id="a") as a:
        async with RawClient(a.url, seeded.facilitator.token) as dana, RawClient(a.url, sam_c.token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            await dana.command("chat.send", {"text": "while A owns it"})
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute("UPDATE groups SET owner_epoch = owner_epoch + 1 WHERE id = %s", (seeded.group_id,))
            await dana.send("chat.send", {"text": "after another node claimed it"})
            for c in (dana, sam):
                assert await c.wait_closed(timeout=10) == CloseCode.OWNER_MOVED
            assert not [f for f in sam.events if f["data"].get("text") == "after another node claimed it"]
            assert b"after another node claimed it" not in b"".join(d for _s, _t, d in stored(pg_url, seeded.group_id))


async def test_a_member_who_sends_before_its_welcome_is_forwarded_frame_by_frame_and_loses_nothing(pg_url, seeded):
    """The hello and a command in one burst: node B cannot splice (it already read the command),
    so it pipes the frames as messages; the command reaches the owner and is answered."""
    sam_c = seeded.participants[0]
    async with RelayServer(pg_url, node_id="a") as a, RelayServer(pg_url, node_id="b") as b:
        async with RawClient(a.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            async with RawClient(b.url, sam_c.token, hello=False) as sam:
                hello = {"kind": "hello", "v": sam.version, "token": sam_c.token, "resume_from": None, "client": "tests"}
                command = {"kind": "chat.send", "id": "early-1", "data": {"text": "sent with my hello"}}
                await sam.ws.send(msgpack.packb(hello))
                await sam.ws.send(msgpack.packb(command))
                answer = await sam.wait_ack("early-1")
                assert answer["kind"] == "ack" and not b._splices
                await dana.recv_until(is_event("chat.posted", text="sent with my hello"))
                later = await sam.command("chat.send", {"text": "and one more"})
                await dana.recv_until(is_event("chat.posted", text="and one more"))
                assert later["seq"] == answer["seq"] + 1


def test_the_several_node_flags_are_refused_on_sqlite_in_one_sentence(tmp_path):
    refused = run_cli("serve", "--port", "0", "--data", str(tmp_path / "data"), "--node-id", "relay-1")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "iop-server: --node-id needs a PostgreSQL store (--store postgresql://...); a SQLite folder serves one node only."
    )


async def test_a_member_revoked_by_the_cli_is_closed_through_the_node_that_forwards_them(pg_url, seeded):
    sam_c = seeded.participants[0]
    with nodes(pg_url, "a", "b") as (a, b):
        async with RawClient(a.url, seeded.facilitator.token) as dana, RawClient(b.url, sam_c.token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            revoked = await asyncio.to_thread(run_cli, "revoke", seeded.group_name, "--name", "Sam", "--store", pg_url)
            assert revoked.returncode == 0, revoked.stderr
            assert await sam.wait_closed(timeout=10) == CloseCode.UNAUTHORIZED  # the owner's close, passed on by B
            async with RawClient(b.url, sam_c.token) as again:
                assert again.welcome is None and await again.wait_closed() == CloseCode.UNAUTHORIZED


def claim_as_another_node(url: str, group_id: int, node: str = "b") -> int:
    """What another node's claim leaves in the database: the group is ``node``'s at the next epoch."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "UPDATE groups SET owner_node = %s, owner_epoch = owner_epoch + 1 WHERE id = %s RETURNING owner_epoch", (node, group_id),
        ).fetchone()
    assert row is not None
    return int(row[0])


def no_tracebacks(records: list) -> list[str]:
    """The relay's log records at ERROR or with a traceback (there should be none)."""
    return [r.getMessage() for r in records if r.levelno >= logging.ERROR or r.exc_info]


@asynccontextmanager
async def owner_with_dana_and_sam(pg_url: str, seeded: Seeded) -> AsyncIterator[tuple[RelayServer, RawClient, RawClient]]:
    """Node A (in this process) owns the group; Dana and Sam are connected to it, synced."""
    async with RelayServer(pg_url, node_id="a") as a:
        async with RawClient(a.url, seeded.facilitator.token) as dana, RawClient(a.url, seeded.participants[0].token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            yield a, dana, sam


async def test_a_guest_arriving_at_an_owner_that_lost_its_group_closes_every_member_with_4012_at_once(pg_url, seeded, caplog):
    """The guest's arrival goes into the room's next batch (Hub.arrive), the guest waiting for it:
    refused by the fence (another node claimed the group, this one does not know yet), it stores
    and delivers nothing, drops the group at once (the guest, Dana and Sam get 4012 now) and is
    logged as the expected event it is: a warning, no traceback."""
    caplog.set_level(logging.INFO, logger="iop.server")
    async with owner_with_dana_and_sam(pg_url, seeded) as (a, dana, sam):
        await dana.command("session.start", {"title": "Family session"})
        head = [s for s, _t, _d in stored(pg_url, seeded.group_id)][-1]
        claim_as_another_node(pg_url, seeded.group_id)
        async with RawClient(a.url, seeded.guest.token, hello=False) as jo:
            await jo.send_frame({"kind": "hello", "v": jo.version, "token": seeded.guest.token, "resume_from": None, "client": "tests"})
            for c in (jo, dana, sam):
                assert await c.wait_closed(timeout=10) == CloseCode.OWNER_MOVED
            assert not [f for f in jo.events + dana.events + sam.events if f["type"] == "guest.arrived"]
        assert [s for s, _t, _d in stored(pg_url, seeded.group_id)][-1] == head
        assert seeded.group_id not in a.hub.rooms
    assert no_tracebacks(caplog.records) == []
    assert any("another relay node owns" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


async def test_an_event_the_relay_records_on_an_owner_that_lost_its_group_drops_the_group_at_once(pg_url, seeded, caplog):
    """Hub.log_soon (an email sent, a small room's clock): its batch is refused by the fence, nothing
    is stored or delivered, the group is dropped at once and its members get 4012; a warning, no traceback."""
    caplog.set_level(logging.INFO, logger="iop.server")
    async with owner_with_dana_and_sam(pg_url, seeded) as (a, dana, sam):
        head = (await dana.command("chat.send", {"text": "before"}))["seq"]
        claim_as_another_node(pg_url, seeded.group_id)
        room = a.hub.rooms[seeded.group_id]
        sam_id = seeded.participants[0].member_id
        logged: list = []
        a.hub.log_soon(room, lambda _s, _n: [Draft("urgent.emailed", FACILITATORS, {"alert_id": head, "member_id": sam_id, "to": "x@y.example"})], logged.extend)
        for c in (dana, sam):
            assert await c.wait_closed(timeout=10) == CloseCode.OWNER_MOVED
        assert not [f for f in dana.events if f["type"] == "urgent.emailed"]
        assert [s for s, _t, _d in stored(pg_url, seeded.group_id)][-1] == head
        assert seeded.group_id not in a.hub.rooms
        assert logged == [], "told it was stored"
    assert no_tracebacks(caplog.records) == []
