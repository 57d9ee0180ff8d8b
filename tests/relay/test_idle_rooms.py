"""Loading and unloading rooms (issue 16): folded in slices, unloaded between sessions (``serve --release-idle``).

A room nobody has been in for ``release_idle`` seconds holds nothing the store
does not, so the relay unloads it (and on PostgreSQL, where it is the default,
releases its group: see tests/relay/test_nodes.py); the next member folds it
again from the store and finds everything as it was. A room with someone in it, or within their grace
period, stays loaded. A room is folded from its log in slices, so a join to a
group with a long history never holds the other groups' lines. Real relays,
real websockets, a real SQLite folder.
"""

from __future__ import annotations

import asyncio

from tests.support.wsclient import RawClient, is_event, seed, until

from protocol.events import Event
from protocol.roles import EVERYONE
from server.edge import RelayServer
from server.room import FOLD_SLICE


async def test_a_room_nobody_has_been_in_is_unloaded_and_the_next_member_finds_everything_as_it_was(tmp_path):
    async with RelayServer(tmp_path / "data", presence_grace=0.2, release_idle=0.3) as relay:
        g = seed(relay.store, relay.url)
        sam_c = g.participants[0]
        async with RawClient(relay.url, g.facilitator.token) as dana, RawClient(relay.url, sam_c.token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            await dana.command("session.start", {"title": "Week 3"})
            await sam.command("chat.send", {"text": "before the break"})
            await dana.recv_until(is_event("chat.posted", text="before the break"))
            head = dana.last_seq
            seen_by_sam = [(e["seq"], e["type"]) for e in sam.events]
        await until(lambda: g.group_id not in relay.hub.rooms, "the idle room unloaded", timeout=10)

        async with RawClient(relay.url, sam_c.token) as sam, RawClient(relay.url, g.facilitator.token) as dana:
            synced = await sam.wait_synced()
            await dana.wait_synced()
            assert synced["head_seq"] >= head  # (a "left" line may follow what Dana saw)
            assert [(e["seq"], e["type"]) for e in sam.events][: len(seen_by_sam)] == seen_by_sam
            phased = await dana.command("phase.set", {"phase": "checkin"})  # refused were the session not still running
            after = await sam.command("chat.send", {"text": "after the break"})
            assert after["seq"] == phased["seq"] + 1
        stored = [e.seq for e in relay.store.iter_events(g.group_id)]
        assert stored == list(range(1, after["seq"] + 1))


async def test_a_room_with_a_member_in_it_or_within_their_grace_stays_loaded(tmp_path):
    async with RelayServer(tmp_path / "data", presence_grace=30, release_idle=0.3) as relay:
        g = seed(relay.store, relay.url)
        async with RawClient(relay.url, g.facilitator.token) as dana:
            await dana.wait_synced()
            await asyncio.sleep(2.5)  # two housekeeping passes past release_idle
            assert g.group_id in relay.hub.rooms
            sam = RawClient(relay.url, g.participants[0].token)
            await sam.__aenter__()
            await sam.wait_synced()
        await sam.abort()  # Sam's link breaks: 30 s of "reconnecting" keep the room
        await asyncio.sleep(2.5)
        assert g.group_id in relay.hub.rooms


async def test_on_a_sqlite_folder_rooms_stay_loaded_unless_release_idle_is_given(tmp_path):
    """One node has no other node to spread groups to: its rooms are unloaded only on request."""
    async with RelayServer(tmp_path / "data", presence_grace=0.2) as relay:
        assert relay.release_idle == float("inf")
        g = seed(relay.store, relay.url)
        async with RawClient(relay.url, g.facilitator.token) as dana:
            await dana.wait_synced()
        await asyncio.sleep(2.5)
        assert g.group_id in relay.hub.rooms


def test_release_idle_must_be_a_number_of_seconds_above_zero(tmp_path):
    from tests.support.procs import run_cli

    out = run_cli("serve", "--data", str(tmp_path / "data"), "--release-idle", "0")
    assert out.returncode == 2
    assert "--release-idle: expected a number of seconds above 0, got '0'" in out.stderr


async def test_a_join_that_folds_a_long_log_lets_another_groups_line_through_meanwhile(tmp_path):
    """A group whose log holds 100 slices of earlier lines: while its room is folded for Dana's
    join, Sam's line in another group is decided, stored and answered, before Dana's welcome
    (folded in one step, the fold held the loop and every other group waited for it)."""
    arrived: list[tuple[str, str]] = []

    class Noting(RawClient):
        def on_frame(self, frame: dict) -> None:
            arrived.append((self.client, frame.get("kind", "")))

    async with RelayServer(tmp_path / "data") as relay:
        long = seed(relay.store, relay.url, name="Long history")
        other = seed(relay.store, relay.url, name="Tuesday IOP")
        dana_id, lines = long.facilitator.member_id, 100 * FOLD_SLICE
        relay.store.commit(
            [
                (long.group_id, Event(seq, "chat.posted", 1.0e9 + seq, dana_id, "Dana", EVERYONE, None, {"member_id": dana_id, "text": f"line {seq}", "to": "group"}))
                for seq in range(1, lines + 1)
            ],
            [],
        )
        async with Noting(relay.url, other.participants[0].token, client="sam") as sam:
            await sam.wait_synced()
            dana = Noting(relay.url, long.facilitator.token, hello=False, client="dana")
            await dana.__aenter__()
            try:
                await dana.send_frame({"kind": "hello", "v": dana.version, "token": dana.token, "resume_from": lines, "client": "dana"})
                await until(lambda: long.group_id in relay.hub._loading, "the long room's fold begun")
                said = await sam.send("chat.send", {"text": "meanwhile, in another group"})
                await sam.wait_ack(said)
                welcome = await dana.recv_until(lambda f: f.get("kind") == "welcome")
                assert welcome["head_seq"] == lines
                assert arrived.index(("sam", "ack")) < arrived.index(("dana", "welcome"))
                mine = await dana.command("chat.send", {"text": "after 100 slices"})
                assert mine["seq"] == lines + 1
            finally:
                await dana.close()


async def test_members_of_many_groups_joining_at_once_are_all_welcomed(tmp_path):
    """Loads queue and finish in every order: none is left waiting (a room queued just as the
    loader ran out of work once waited forever)."""
    async with RelayServer(tmp_path / "data") as relay:
        groups = [seed(relay.store, relay.url, name=f"Group {i}") for i in range(40)]

        async def join(token: str, delay: float) -> dict:
            await asyncio.sleep(delay)
            async with RawClient(relay.url, token) as member:
                return await member.wait_synced(timeout=10)

        synced = await asyncio.gather(*(
            join(cred.token, 0.002 * i) for i, cred in enumerate(c for g in groups for c in (g.facilitator, g.participants[0]))
        ))
        assert len(synced) == 80 and len(relay.hub.rooms) == 40


async def test_on_postgresql_a_long_log_is_read_in_chunks_off_the_loop_and_folded_whole(pg_url):
    """The first slice is read on the loop's connection, the rest from the reader pool in chunks:
    the room holds every line, in order, and the log goes on at the next seq."""
    from server.room import READ_CHUNK
    from tests.support.pg import seeded_pg

    (g,) = seeded_pg(pg_url)
    lines = FOLD_SLICE + READ_CHUNK + 7  # the first slice, one whole chunk, and a short one
    from server.store import open_store

    store = open_store(pg_url)
    try:
        dana_id = g.facilitator.member_id
        store.commit(
            [
                (g.group_id, Event(seq, "chat.posted", 1.0e9 + seq, dana_id, "Dana", EVERYONE, None, {"member_id": dana_id, "text": f"line {seq}", "to": "group"}))
                for seq in range(1, lines + 1)
            ],
            [],
        )
    finally:
        store.close()
    async with RelayServer(pg_url) as relay, RawClient(relay.url, g.facilitator.token, resume_from=lines) as dana:
        synced = await dana.wait_synced()
        assert synced["head_seq"] == lines
        state = relay.hub.rooms[g.group_id].state
        assert [line.text for line in state.chat] == [f"line {seq}" for seq in range(1, lines + 1)]
        assert (await dana.command("chat.send", {"text": "next"}))["seq"] == lines + 1


async def test_a_member_who_leaves_while_their_room_is_folded_is_never_shown_as_here(tmp_path):
    """Dana says hello to a group with a long log and goes before its fold ends: she is not
    joined, so Sam, already there, never sees her come online (nor go)."""
    async with RelayServer(tmp_path / "data", presence_grace=0.2) as relay:
        g = seed(relay.store, relay.url)
        dana_id, lines = g.facilitator.member_id, 100 * FOLD_SLICE
        relay.store.commit(
            [
                (g.group_id, Event(seq, "chat.posted", 1.0e9 + seq, dana_id, "Dana", EVERYONE, None, {"member_id": dana_id, "text": f"line {seq}", "to": "group"}))
                for seq in range(1, lines + 1)
            ],
            [],
        )
        sam_c = g.participants[0]
        dana = RawClient(relay.url, g.facilitator.token, hello=False)
        await dana.__aenter__()
        await dana.send_frame({"kind": "hello", "v": dana.version, "token": dana.token, "resume_from": lines, "client": "tests"})
        await until(lambda: g.group_id in relay.hub._loading, "the room's fold begun")
        await dana.abort()
        async with RawClient(relay.url, sam_c.token, resume_from=lines) as sam:
            await sam.wait_synced()
            await sam.command("chat.send", {"text": "anyone?"})
            await asyncio.sleep(0.5)  # past Dana's grace, were she joined
            seen = [f for f in sam.frames if f.get("kind") == "presence" and f["member"]["id"] == dana_id]
            assert seen == []
            roster = {m["id"]: m["status"] for m in sam.welcome["roster"]}
            assert roster[dana_id] == "offline"
