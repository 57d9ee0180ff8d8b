"""The tail (issue 16): commits run on the writer's thread, never on the event loop.

The relay here runs in the test's own event loop (the ``relay`` fixture), so a
commit that stalled the loop would stall the test too. The stall is real: an
outside SQLite connection holds the database's write lock, as the CLI or a
checkpoint may. Persist-before-deliver is checked against the database file
itself, with a connection of the test's own.
"""

from __future__ import annotations

import asyncio
import sqlite3


from tests.support.wsclient import RawClient, is_event, is_kind


def stored_seqs(path, group_id: int) -> set[int]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT seq FROM events WHERE group_id = ?", (group_id,))}


async def test_a_stalled_commit_holds_back_its_batch_but_not_the_loop_and_welcomes_show_only_durable_seqs(relay, seeded):
    dana, sam, alex, riley = seeded.facilitator, *seeded.participants
    thursday = relay.store.create_group("Thursday IOP")
    _, pat_token = relay.store.add_member(thursday, "Pat", "participant")
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
