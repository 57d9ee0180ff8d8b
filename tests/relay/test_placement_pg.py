"""Placement's SQL on a real PostgreSQL (issue 16): leases, claims, epochs and the fenced commit.

Two :class:`server.placement.PgPlacement` in one process stand for two nodes on
one fresh schema; a lapsed lease is made by moving ``lease_until`` into the
past on the database's clock (what a paused node's lease does by itself).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest

from protocol.events import Event
from server.placement import Forward, Local, Moved, PgPlacement
from server.store import HeadMoved, open_store
from server.store_pg import PgStore
from tests.support.pg import fresh_schema


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_schema() as url:
        yield url


@pytest.fixture
def store(pg_url: str) -> Iterator[PgStore]:
    s = open_store(pg_url)
    assert isinstance(s, PgStore)
    yield s
    s.close()


@pytest.fixture
async def two(pg_url: str, store: PgStore) -> AsyncIterator[tuple[PgPlacement, PgPlacement]]:
    a = PgPlacement(pg_url, "a", {}, renew_every=0.2)
    b = PgPlacement(pg_url, "b", {}, renew_every=0.2)
    await a.start("ws://127.0.0.1:1/")
    await b.start("ws://127.0.0.1:2/")
    yield a, b
    await a.stop()
    await b.stop()


def sql(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement.encode(), params)
        return cur.fetchall() if cur.description else []


def lapse(url: str, node: str) -> None:
    sql(url, "UPDATE nodes SET lease_until = now() - interval '1 second' WHERE node_id = %s", (node,))


def chat(seq: int, text: str) -> Event:
    return Event(seq, "chat.posted", 0.0, 0, "", "all", None, {"text": text})


async def test_a_group_without_an_owner_is_claimed_with_a_new_epoch_and_the_other_node_forwards_to_it(pg_url, store, two):
    a, b = two
    gid = store.create_group("Tuesday IOP")
    assert await a.place(gid) == Local(fresh=True)
    assert a.epochs == {gid: 1}
    assert sql(pg_url, "SELECT owner_node, owner_epoch FROM groups WHERE id = %s", (gid,)) == [("a", 1)]
    assert await a.place(gid) == Local()  # held: no claim, no new epoch
    where = await b.place(gid)
    assert isinstance(where, Forward) and where.node_id == "a" and where.url == "ws://127.0.0.1:1/" and 0 < where.remaining <= a.lease
    assert await b.place(gid, internal=True) == Moved()  # a link from another node is never forwarded again
    assert b.epochs == {}


async def test_a_lapsed_owner_loses_the_group_to_a_claim_that_bumps_the_epoch_and_its_commit_is_refused(pg_url, store, two):
    a, b = two
    gid = store.create_group("Tuesday IOP")
    store.fence = a.epochs  # this store commits as node A
    await a.place(gid)
    store.commit([(gid, chat(1, "A owns it"))], [])
    lapse(pg_url, "a")
    assert await b.place(gid) == Local(fresh=True)
    assert b.epochs == {gid: 2}
    with pytest.raises(HeadMoved) as refused:
        store.commit([(gid, chat(2, "A after losing it"))], [])
    assert refused.value.fenced == {gid}
    assert [e.data["text"] for e in store.events_after(gid, 0)] == ["A owns it"]
    store.fence = b.epochs  # node B's commits go through
    store.commit([(gid, chat(2, "B owns it"))], [])
    assert [e.data["text"] for e in store.events_after(gid, 0)] == ["A owns it", "B owns it"]


async def test_a_node_whose_lease_lapsed_drops_every_group_at_its_next_renewal(pg_url, store, two):
    a, _b = two
    gids = [store.create_group(f"Group {i}") for i in range(3)]
    for gid in gids:
        await a.place(gid)
    lost: list[int] = []
    a.on_lost = lambda gid, _reason: lost.append(gid)
    lapse(pg_url, "a")
    for _ in range(50):
        if lost:
            break
        await asyncio.sleep(0.1)
    assert sorted(lost) == gids and a.epochs == {}
    # It registered again and claims anew (a new epoch), its lease running again.
    assert await a.place(gids[0]) == Local(fresh=True) and a.epochs == {gids[0]: 2}


async def test_a_node_stopping_cleanly_releases_its_groups_at_once(pg_url, store, two):
    a, b = two
    gid = store.create_group("Tuesday IOP")
    await a.place(gid)
    await a.stop()
    assert sql(pg_url, "SELECT node_id FROM nodes") == [("b",)]
    assert await b.place(gid) == Local(fresh=True) and b.epochs == {gid: 2}


async def test_idle_groups_are_released_in_one_statement_each_at_the_epoch_the_node_held(pg_url, store, two):
    """Three idle groups released at once: two lose their owner, their epochs untouched; the third
    was claimed again meanwhile (a new epoch) and stays owned. The fence forgets all three at once."""
    a, b = two
    gids = [store.create_group(f"Group {i}") for i in range(3)]
    for gid in gids:
        await a.place(gid)
    kept = gids[2]
    sql(pg_url, "UPDATE groups SET owner_epoch = owner_epoch + 1 WHERE id = %s", (kept,))  # claimed again since
    a.release(gids)
    assert a.epochs == {}  # at once: no commit of them passes the fence from now on
    for _ in range(50):
        if a.released == 2:
            break
        await asyncio.sleep(0.05)
    rows = {r[0]: (r[1], r[2]) for r in sql(pg_url, "SELECT id, owner_node, owner_epoch FROM groups")}
    assert rows == {gids[0]: (None, 1), gids[1]: (None, 1), kept: ("a", 2)}
    assert await b.place(gids[0]) == Local(fresh=True) and b.epochs == {gids[0]: 2}


async def test_two_nodes_claiming_one_group_at_once_give_it_one_owner(pg_url, store, two):
    a, b = two
    gids = [store.create_group(f"Group {i}") for i in range(10)]
    results = await asyncio.gather(*(p.place(g) for g in gids for p in (a, b)))
    for i, gid in enumerate(gids):
        pair = results[2 * i : 2 * i + 2]
        assert sum(isinstance(w, Local) for w in pair) == 1, pair
        assert (gid in a.epochs) != (gid in b.epochs)
    owners = dict(sql(pg_url, "SELECT id, owner_node FROM groups"))
    assert all(owners[g] == ("a" if g in a.epochs else "b") for g in gids)


async def test_a_refusal_decided_by_a_node_that_lost_the_group_is_not_stored_either(pg_url, store, two):
    """A command result without events (a refusal) is fenced like events: a retry of its id
    through the new owner is decided again, never answered from the old owner's stale refusal."""
    from server.store import CommandResult

    a, b = two
    gid = store.create_group("Tuesday IOP")
    mid, _token = store.add_member(gid, "Sam", "participant")
    store.fence = a.epochs
    await a.place(gid)
    lapse(pg_url, "a")
    await b.place(gid)
    with pytest.raises(HeadMoved) as refused:
        store.commit([], [(mid, "c1", gid, CommandResult(None, None, "invalid", "refused on stale state"))])
    assert refused.value.fenced == {gid}
    assert store.command_result(mid, "c1") is None


async def test_a_node_whose_address_refused_a_connection_loses_the_group_at_once_and_is_fenced(pg_url, store, two):
    a, b = two
    gid = store.create_group("Tuesday IOP")
    store.fence = a.epochs
    await a.place(gid)
    assert isinstance(await b.place(gid), Forward)  # A's lease runs
    assert await b.place(gid, gone="a") == Local(fresh=True) and b.epochs == {gid: 2}
    with pytest.raises(HeadMoved) as refused:  # had A been alive after all, its commit is refused
        store.commit([(gid, chat(1, "A, stale"))], [])
    assert refused.value.fenced == {gid}


def dead_owner(url: str, gids: list[int]) -> None:
    """A node that owned ``gids`` at epoch 1 and died: its lease lapsed, its row and claims stay."""
    sql(url, "INSERT INTO nodes (node_id, internal_url, lease_until) VALUES ('dead', 'ws://127.0.0.1:3/', now() - interval '1 second')")
    sql(url, "UPDATE groups SET owner_node = 'dead', owner_epoch = 1 WHERE id = ANY(%s)", (gids,))


async def test_claims_asked_for_while_a_claim_statement_runs_share_the_next_statement(pg_url, store, two):
    a, _b = two
    gids = [store.create_group(f"Group {i}") for i in range(60)]
    dead_owner(pg_url, gids)
    assert await asyncio.gather(*(a.place(g) for g in gids)) == [Local(fresh=True)] * 60
    assert a.epochs == dict.fromkeys(gids, 2)
    assert a.claimed == 60 and a.claim_statements <= 3  # the first alone, the rest together


async def test_members_of_one_group_asking_at_once_share_one_claim_statement(pg_url, store, two):
    """Found by ``bench/relay_load.py --nodes 3 --kill-every 20`` at 100 x 10: the ten members of a
    group that reconnect to a node at once each waited for a claim statement of their own, one
    after another, so the tenth waited ten round trips for the same answer."""
    a, b = two
    gid = store.create_group("Tuesday IOP")
    await b.place(gid)
    wheres = await asyncio.gather(*(a.place(gid) for _ in range(10)))
    assert all(isinstance(w, Forward) and w.node_id == "b" for w in wheres), wheres
    assert a.claim_statements == 1 and a.epochs == {}
    lapse(pg_url, "b")
    assert await asyncio.gather(*(a.place(gid) for _ in range(10))) == [Local(fresh=True)] * 10
    assert a.claim_statements == 2 and a.epochs == {gid: 2}


async def test_two_nodes_batch_claiming_the_same_lapsed_groups_at_once_give_each_group_one_owner_and_one_epoch_bump(pg_url, store, two):
    a, b = two
    gids = [store.create_group(f"Group {i}") for i in range(80)]
    dead_owner(pg_url, gids)
    # Each node asks in another order (its statements lock in id order: no deadlock either way).
    results = await asyncio.gather(*(a.place(g) for g in gids), *(b.place(g) for g in reversed(gids)))
    by_a, by_b = results[: len(gids)], list(reversed(results[len(gids) :]))
    for gid, here, there in zip(gids, by_a, by_b, strict=True):
        assert (here == Local(fresh=True)) != (there == Local(fresh=True)), (gid, here, there)
        assert isinstance(here, Forward) or isinstance(there, Forward)
    assert set(a.epochs) | set(b.epochs) == set(gids) and not set(a.epochs) & set(b.epochs)
    stored = {gid: (owner, epoch) for gid, owner, epoch in sql(pg_url, "SELECT id, owner_node, owner_epoch FROM groups")}
    for gid in gids:
        holder = a if gid in a.epochs else b
        assert stored[gid] == (holder.node_id, 2) and holder.epochs[gid] == 2
    assert a.claim_statements + b.claim_statements < len(gids)


async def test_a_claim_of_a_group_that_does_not_exist_fails_alone_in_its_batch(pg_url, store, two):
    a, _b = two
    gids = [store.create_group(f"Group {i}") for i in range(5)]
    results = await asyncio.gather(*(a.place(g) for g in [*gids, 99999]), return_exceptions=True)
    assert results[:5] == [Local(fresh=True)] * 5
    assert isinstance(results[5], LookupError) and a.epochs == dict.fromkeys(gids, 1)


async def test_a_node_found_gone_loses_its_other_groups_to_the_next_claims_without_asking_its_address_again(pg_url, store, two):
    a, b = two
    gids = [store.create_group(f"Group {i}") for i in range(3)]
    for gid in gids:
        await a.place(gid)
    assert await b.place(gids[0], gone="a") == Local(fresh=True)  # a member's link to A was refused
    statements = b.claim_statements
    assert await asyncio.gather(b.place(gids[1]), b.place(gids[2])) == [Local(fresh=True)] * 2
    assert b.epochs == dict.fromkeys(gids, 2) and b.claim_statements == statements + 1


async def test_a_node_found_gone_that_starts_again_keeps_the_groups_it_claims_anew(pg_url, store, two):
    a, b = two
    gids = [store.create_group(f"Group {i}") for i in range(3)]
    for gid in gids:
        await a.place(gid)
    assert await b.place(gids[0], gone="a") == Local(fresh=True)
    again = PgPlacement(pg_url, "a", {}, renew_every=0.2)  # A's process started again (same id, later)
    await again.start("ws://127.0.0.1:1/")
    try:
        assert await again.place(gids[1]) == Local(fresh=True) and again.epochs == {gids[1]: 2}
        for gid in gids[1:]:  # B no longer takes A's groups without asking: A is alive
            where = await b.place(gid)
            assert isinstance(where, Forward) and where.node_id == "a", where
        assert gids[1] not in b.epochs and gids[2] not in b.epochs
    finally:
        await again.stop()
