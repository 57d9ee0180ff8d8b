"""Placement (issue 16): which relay node owns each group, under a lease and an epoch.

Each group is owned by one node at a time, which runs the hub for it; other
nodes forward their members' frames to the owner (:mod:`server.forward`).

- :class:`SinglePlacement` (SQLite, and one node): this node owns every group.
- :class:`PgPlacement` (PostgreSQL): the database is the only place ownership
  is decided.

  * Each node has a row in ``nodes`` (``node_id``, ``internal_url``,
    ``lease_until`` on the DATABASE's clock). A task renews it every
    ``renew_every`` (1 s) for ``lease`` (5 s) on a connection of its own
    (psycopg's async connection: the event loop never waits on it). A renewal
    that finds the lease lapsed (the node was paused, or the database
    unreachable longer than the lease) drops every group this node held, then
    registers again; so does the node itself when its own clock says the last
    renewal is older than the lease (it never serves on a lease it cannot
    prove).
  * :meth:`PgPlacement.place` answers where a member of a group is served: a
    group this node holds is :class:`Local`; one without an owner, or whose
    owner's lease lapsed (or this node's own id, from a previous process), is
    claimed by a statement that bumps ``groups.owner_epoch`` (the fencing
    token) and is then :class:`Local` with ``fresh`` set (so is one whose
    owner's address refused a connection, ``gone``: its process is gone, and
    the epoch fences it should it be alive after all); one held by another
    live node is :class:`Forward` (its internal URL and the lease's remaining
    seconds). A connection that itself came from another node is never
    forwarded again: it is :class:`Moved` (the member reconnects and asks
    again). Claims of one group in one process are serialised; claims of
    different groups share statements: every claim asked for while one claim
    statement runs goes into the next (:meth:`PgPlacement._claim_batches`), so
    the hundreds of groups a dead owner leaves are claimed in a few round trips.
  * The epochs this node holds are :attr:`PgStore.fence <server.store_pg.PgStore.fence>`:
    every commit checks them in its transaction, so a node that lost a group
    (a paused owner that wakes up) can never store, hence never deliver, an
    event of it. A refused group is dropped by the hub
    (:meth:`server.hub.Hub.drop_group`), which calls :meth:`forget`.
  * :meth:`PgPlacement.lapsed` gives an event set when a node's lease lapses
    (the forwarder closes the members it forwards to that node with
    OWNER_MOVED, 4012).
  * A node stopping cleanly releases its groups at once (``owner_node`` NULL)
    and deletes its row, so the next member's node claims them without
    waiting for the lease. So does a running node with a group whose room
    stayed idle (:meth:`PgPlacement.release`, ``serve --release-idle``): the
    next session's members land wherever the balancer sends the first of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .store import first_line

__all__ = [
    "Forward",
    "LEASE",
    "Local",
    "Moved",
    "PgPlacement",
    "Placement",
    "PlacementError",
    "RENEW_EVERY",
    "SinglePlacement",
]

log = logging.getLogger("iop.server")

LEASE = 5.0  # seconds a renewal holds on the database's clock
RENEW_EVERY = 1.0  # seconds between renewals


class PlacementError(Exception):
    """Where a group is served could not be decided (the database did not answer)."""


@dataclass(frozen=True, slots=True)
class Local:
    """This node owns the group: serve the member here. ``fresh``: claimed just now."""

    fresh: bool = False


@dataclass(frozen=True, slots=True)
class Forward:
    """Another node with a live lease owns the group: forward to its ``url``."""

    node_id: str
    url: str
    remaining: float  # seconds left on its lease, on the database's clock


@dataclass(frozen=True, slots=True)
class Moved:
    """The group is not this node's and the connection came from another node: close it with 4012."""


Where = Local | Forward | Moved


class Placement:
    """The interface: where a group's members are served."""

    node_id: str = "single"
    #: Several nodes may serve: the edge asks :meth:`place` for each hello.
    several: bool = False
    #: Called with a group this node no longer owns and the reason (the hub closes its peers).
    on_lost: Callable[[int, str], None] | None = None
    #: Called with a group just claimed, before its epoch is held (the hub forgets any stale room of it).
    on_claimed: Callable[[int], None] | None = None

    async def start(self, internal_url: str) -> None:
        """Register the node (after it listens: ``internal_url`` may name its port)."""

    async def stop(self) -> None:
        """Release every group at once (clean shutdown)."""

    async def place(self, group_id: int, *, internal: bool = False, gone: str | None = None) -> Where:
        """Where the group's members are served. ``gone``: a node whose address refused the
        connection (its process is gone): claim from it without waiting for its lease."""
        return Local()

    def holds(self, group_id: int) -> bool:
        """Whether this node holds the group now (on one node: always)."""
        return True

    def forget(self, group_id: int) -> None:
        """The hub dropped the group (its commit was refused): it is not ours any more."""

    def release(self, group_ids: list[int]) -> None:
        """These groups' rooms were unloaded, idle (:meth:`server.hub.Hub.idle_rooms`): stop owning
        them, so each one's next member's node claims it, whichever node that is (on one node:
        nothing to do)."""

    def lapsed(self, node_id: str) -> asyncio.Event:
        """An event set once ``node_id``'s lease lapses."""
        return asyncio.Event()

    async def wait_lapse(self, node_id: str, remaining: float) -> None:
        """Wait until ``node_id``'s lease may have lapsed (at most ``remaining`` s and a tick)."""


class SinglePlacement(Placement):
    """SQLite, one node: every group is this node's."""


_REGISTER = (
    "INSERT INTO nodes (node_id, internal_url, lease_until) VALUES (%(me)s, %(url)s, now() + make_interval(secs => %(lease)s))"
    " ON CONFLICT (node_id) DO UPDATE SET internal_url = excluded.internal_url, lease_until = excluded.lease_until,"
    " started_at = now()"
    " RETURNING EXTRACT(EPOCH FROM lease_until - now())::float8"
)
# Renew only a lease still running: a lapsed one means another node may have claimed our groups.
_RENEW = (
    "UPDATE nodes SET lease_until = now() + make_interval(secs => %(lease)s)"
    " WHERE node_id = %(me)s AND lease_until > now()"
    " RETURNING EXTRACT(EPOCH FROM lease_until - now())::float8"
)
_LIVE = "SELECT node_id FROM nodes WHERE lease_until > now()"
# Claim the groups that have no owner, whose owner's lease lapsed, whose owner is this node's id
# (a previous process of it) or a node whose address refused a connection (``gone``: its process
# is gone; the epoch fences it should it be alive after all); only while this node's own lease
# runs. A node found gone is remembered (``since``: when, on the database's clock) and its other
# groups are claimed from it at once too, unless it started again since (``nodes.started_at``).
# One statement for every claim that queued meanwhile (a reconnect storm asks for hundreds
# at once). ``locked`` takes the rows' locks in id order first, as iop_commit_fenced does, so two
# nodes claiming overlapping sets (or a claim and a commit) wait on each other, never deadlock;
# the UPDATE then re-checks each row as it is now (READ COMMITTED), so of two nodes claiming one
# group at once, one bumps its epoch and the other sees it owned by a live node. The outer
# SELECT sees each row as it was before the claim: the owner and its lease when it did not happen.
_CLAIM = (
    "WITH locked AS (SELECT id FROM groups WHERE id = ANY(%(gs)s::bigint[]) ORDER BY id FOR UPDATE),"
    " claimed AS ("
    " UPDATE groups AS g SET owner_node = %(me)s, owner_epoch = g.owner_epoch + 1"
    " WHERE g.id IN (SELECT id FROM locked)"
    " AND EXISTS (SELECT 1 FROM nodes WHERE node_id = %(me)s AND lease_until > now())"
    " AND (g.owner_node IS NULL OR g.owner_node = %(me)s"
    "  OR EXISTS (SELECT 1 FROM unnest(%(gone)s::text[], %(since)s::float8[]) AS x(node, since) WHERE x.node = g.owner_node"
    "   AND NOT EXISTS (SELECT 1 FROM nodes AS r WHERE r.node_id = x.node AND r.started_at > to_timestamp(x.since)))"
    "  OR NOT EXISTS (SELECT 1 FROM nodes AS n WHERE n.node_id = g.owner_node AND n.lease_until > now()))"
    " RETURNING g.id, g.owner_epoch)"
    " SELECT g.id, c.owner_epoch, g.owner_node, n.internal_url, EXTRACT(EPOCH FROM n.lease_until - now())::float8,"
    " EXTRACT(EPOCH FROM now())::float8"
    " FROM groups AS g LEFT JOIN claimed AS c ON c.id = g.id LEFT JOIN nodes AS n ON n.node_id = g.owner_node"
    " WHERE g.id = ANY(%(gs)s::bigint[])"
)
#: At most this many groups in one claim statement.
CLAIM_BATCH = 500
#: Seconds a node whose address refused a connection is remembered as gone (its groups claimed
#: at once, without asking its address first), unless it registers again meanwhile.
GONE_FOR = 30.0
_RELEASE = "UPDATE groups SET owner_node = NULL WHERE owner_node = %(me)s"
# Idle groups, each at the epoch this node held it: a claim of one since (by this node's next member,
# or another node's after our lease lapsed) moved its epoch, and this then leaves it as it is.
_RELEASE_IDLE = (
    "UPDATE groups AS g SET owner_node = NULL FROM unnest(%(gs)s::bigint[], %(epochs)s::bigint[]) AS r(id, epoch)"
    " WHERE g.id = r.id AND g.owner_node = %(me)s AND g.owner_epoch = r.epoch RETURNING g.id"
)
_UNREGISTER = "DELETE FROM nodes WHERE node_id = %(me)s"


class PgPlacement(Placement):
    """PostgreSQL: leases on the database's clock, claims that bump the group's epoch."""

    several = True

    def __init__(self, url: str, node_id: str, fence: dict[int, int], *, lease: float = LEASE, renew_every: float = RENEW_EVERY) -> None:
        self.url = url
        self.node_id = node_id
        self.lease = lease
        self.renew_every = renew_every
        #: group id -> the epoch this node holds it at: the store's fence (PgStore.fence), shared.
        self.epochs = fence
        self.internal_url = ""
        self._conn: Any = None  # psycopg.AsyncConnection, opened by start()
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        # The lease's own connection: a renewal never queues behind claims (a reconnect storm
        # queues hundreds; one claim may wait on a row lock), else the lease lapses under load.
        self._lease_conn: Any = None
        self._lease_lock = asyncio.Lock()
        self._valid_until = 0.0  # loop time until which our lease is proven
        # Claims: group -> (its answer, the gone nodes it claims from), until answered; the
        # groups waiting for the next statement, and those in the running one. One task runs them.
        self._asked: dict[int, tuple[asyncio.Future[tuple[Any, ...] | None], set[str]]] = {}
        self._wanted: list[int] = []
        self._running: set[int] = set()
        # Nodes whose address refused a connection: node -> (when, on the database's clock; loop time).
        self._gone: dict[str, tuple[float, float]] = {}
        self._claimer: asyncio.Task[None] | None = None
        self.claimed = 0  # groups claimed since start
        self.claim_statements = 0  # claim statements run (claimed / statements: the batching)
        self._lapsed: dict[str, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.renewals = 0
        self._releasing: set[asyncio.Task[None]] = set()  # idle groups' releases still running
        self.released = 0  # idle groups released since start

    # -- the connection ----------------------------------------------------------

    async def _run(self, sql: str, params: dict[str, Any], *, lease: bool = False) -> list[tuple[Any, ...]]:
        """One statement on the claims' connection, or with ``lease`` on the lease's own."""
        import psycopg

        slot = "_lease_conn" if lease else "_conn"
        async with self._lease_lock if lease else self._lock:
            for attempt in (0, 1):
                conn = getattr(self, slot)
                try:
                    if conn is None or conn.closed or conn.broken:
                        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=max(1, int(self.lease)))
                        setattr(self, slot, conn)
                    cur = await conn.execute(sql.encode(), params)
                    return list(await cur.fetchall()) if cur.description is not None else []
                except psycopg.OperationalError as exc:
                    if attempt or (conn is not None and not conn.broken):
                        raise PlacementError(first_line(exc)) from None
            raise AssertionError("unreachable")

    # -- the lease ---------------------------------------------------------------

    async def start(self, internal_url: str) -> None:
        self.internal_url = internal_url
        loop = asyncio.get_running_loop()
        sent = loop.time()
        rows = await self._run(_REGISTER, {"me": self.node_id, "url": internal_url, "lease": self.lease}, lease=True)
        self._valid_until = sent + float(rows[0][0])
        self._task = loop.create_task(self._renew_forever())
        log.info("node %s registered (%s), lease %g s", self.node_id, internal_url, self.lease)

    def _valid(self) -> bool:
        return asyncio.get_running_loop().time() < self._valid_until

    async def _renew_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            await asyncio.sleep(self.renew_every)
            if self._stopping:
                return
            if not self._valid():
                self._drop_all("this relay node's lease lapsed")
            sent = loop.time()
            try:
                rows = await self._run(_RENEW, {"me": self.node_id, "lease": self.lease}, lease=True)
                if not rows:  # lapsed: another node may own our groups now
                    self._drop_all("this relay node's lease lapsed")
                    rows = await self._run(_REGISTER, {"me": self.node_id, "url": self.internal_url, "lease": self.lease}, lease=True)
                self._valid_until = sent + float(rows[0][0])
                self.renewals += 1
                live = {row[0] for row in await self._run(_LIVE, {}, lease=True)}
            except PlacementError as exc:
                log.warning("node %s could not renew its lease (%s); retrying", self.node_id, exc)
                continue
            except Exception:
                log.exception("node %s: renewing the lease failed; retrying", self.node_id)
                continue
            for node, event in list(self._lapsed.items()):
                if node not in live:  # lapsed, or gone (a clean stop deletes the row)
                    event.set()
                    del self._lapsed[node]

    def _drop_all(self, reason: str) -> None:
        groups = list(self.epochs)
        self.epochs.clear()
        if groups:
            log.warning("node %s dropped %d group(s): %s", self.node_id, len(groups), reason)
        for gid in groups:
            if self.on_lost is not None:
                self.on_lost(gid, reason)

    async def stop(self) -> None:
        """Release every group and the node's row (clean shutdown): other nodes claim them at once."""
        self._stopping = True
        if self._claimer is not None:
            self._claimer.cancel()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        self.epochs.clear()
        if self._releasing:
            await asyncio.gather(*self._releasing, return_exceptions=True)
        try:
            await self._run(_RELEASE, {"me": self.node_id})
            await self._run(_UNREGISTER, {"me": self.node_id})
        except PlacementError as exc:
            log.warning("node %s could not release its groups (%s); they move when its lease lapses", self.node_id, exc)
        for conn in (self._conn, self._lease_conn):
            if conn is not None:
                await conn.close()

    # -- groups ------------------------------------------------------------------

    async def place(self, group_id: int, *, internal: bool = False, gone: str | None = None) -> Where:
        for _ in range(int(self.lease * 10) + 20):
            if self.holds(group_id):
                return Local()
            row = await self._claim(group_id, gone)
            if row is None:
                raise LookupError(f"no group {group_id}")
            epoch, owner, url, remaining = row
            if epoch is not None and group_id in self.epochs:
                return Local(fresh=True)  # claimed by the statement this asked for (or shared)
            if owner is not None and owner != self.node_id and url is not None and remaining is not None and remaining > 0:
                return Moved() if internal else Forward(owner, url, float(remaining))
            # Not claimable yet: our own lease is being renewed, or a race with another claim.
            await asyncio.sleep(0.1)
        raise PlacementError(f"group {group_id} could not be placed")

    def holds(self, group_id: int) -> bool:
        return group_id in self.epochs and self._valid()

    async def _claim(self, group_id: int, gone: str | None) -> tuple[Any, ...] | None:
        """Claim the group in the next claim statement: (its epoch if this node holds it now,
        the owner before the statement, its URL, its lease's remaining seconds), or None when
        there is no such group. Members of one group share one claim: a claim of the group
        already asked for (queued, or running with this ``gone``) answers them all, so a group
        is never claimed twice at once by this node (each claim bumps its epoch)."""
        asked = self._asked.get(group_id)
        if asked is not None and (gone is None or gone in asked[1]):
            return await asyncio.shield(asked[0])
        if asked is not None and gone is not None and group_id not in self._running:
            asked[1].add(gone)  # still queued: its statement claims from this node too
            return await asyncio.shield(asked[0])
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[Any, ...] | None] = loop.create_future()
        self._asked[group_id] = (answer, {gone} if gone is not None else set())
        self._wanted.append(group_id)
        if self._claimer is None or self._claimer.done():
            self._claimer = loop.create_task(self._claim_batches())
        return await asyncio.shield(answer)  # a waiter that goes away leaves it to the others

    async def _claim_batches(self) -> None:
        """Run the queued claims, every one asked for while the last statement ran in the next
        (so the first claim waits for nobody, and a storm costs a few statements, not hundreds).
        A group this node came to hold meanwhile (a claim answered after it was asked for
        again) is not claimed again: its answer is the epoch held."""
        while self._wanted:
            ids, self._wanted = self._wanted[:CLAIM_BATCH], self._wanted[CLAIM_BATCH:]
            batch = {group_id: self._asked[group_id] for group_id in ids}
            for group_id in [g for g in batch if self.holds(g)]:
                self._answer(group_id, batch.pop(group_id), (self.epochs[group_id], self.node_id, self.internal_url, None))
            if not batch:
                continue
            self._running = set(batch)
            now = asyncio.get_running_loop().time()
            for node in [n for n, (_since, seen) in self._gone.items() if now - seen > GONE_FOR]:
                del self._gone[node]
            found_gone = set().union(*(gone for _a, gone in batch.values()))
            gone = {node: since for node, (since, _seen) in self._gone.items()} | dict.fromkeys(found_gone, float("inf"))
            params = {"me": self.node_id, "gs": sorted(batch), "gone": list(gone), "since": list(gone.values())}
            try:
                rows = await self._run_claims(params)
            except Exception as exc:
                for group_id, asked in batch.items():
                    self._answer(group_id, asked, exc)
                continue
            finally:
                self._running = set()
            found = {int(row[0]): tuple(row[1:5]) for row in rows}
            if rows:
                for node in found_gone:  # the database's clock now: a node that starts after it is alive
                    self._gone[node] = (float(rows[0][5]), now)
            for group_id, asked in batch.items():
                row = found.get(group_id)
                if row is not None and row[0] is not None:
                    if self.on_claimed is not None:
                        self.on_claimed(group_id)
                    self.epochs[group_id] = int(row[0])
                    self.claimed += 1
                    log.info("node %s claimed group %d (epoch %d)", self.node_id, group_id, row[0])
                self._answer(group_id, asked, row)

    def _answer(self, group_id: int, asked: tuple[asyncio.Future[tuple[Any, ...] | None], set[str]], result: Any) -> None:
        """Answer a claim's waiters (a row, None, or the exception the statement raised); the
        next claim of the group is a new one."""
        if self._asked.get(group_id) is asked:
            del self._asked[group_id]
        answer = asked[0]
        if answer.done():
            return
        if isinstance(result, BaseException):
            answer.set_exception(result)
            answer.exception()  # retrieved: every waiter may have gone
        else:
            answer.set_result(result)

    async def _run_claims(self, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """One claim statement (a method of its own, so ``--lag-log`` times it)."""
        rows = await self._run(_CLAIM, params)
        self.claim_statements += 1
        return rows

    def forget(self, group_id: int) -> None:
        self.epochs.pop(group_id, None)

    def release(self, group_ids: list[int]) -> None:
        """Stop holding the groups at once (the fence refuses any commit of them from now on), then
        clear their owner in the database, in one statement, so that the node each one's next member
        reaches claims it without waiting or forwarding: between sessions the groups spread again
        over the nodes that run (a node restarted after a crash gets its share back)."""
        held = {gid: epoch for gid in group_ids if (epoch := self.epochs.pop(gid, None)) is not None}
        if not held or self._stopping:
            return
        task = asyncio.get_running_loop().create_task(self._release(held))
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _release(self, held: dict[int, int]) -> None:
        try:
            rows = await self._run(_RELEASE_IDLE, {"gs": list(held), "epochs": list(held.values()), "me": self.node_id})
        except PlacementError as exc:
            # Still ours in the database: other nodes forward their members here, and this node claims them again then.
            log.warning("node %s could not release %d idle group(s) (%s); they stay this node's until claimed", self.node_id, len(held), exc)
            return
        self.released += len(rows)
        log.info("node %s released %d idle group(s): %s", self.node_id, len(rows), sorted(int(row[0]) for row in rows))

    def lapsed(self, node_id: str) -> asyncio.Event:
        event = self._lapsed.get(node_id)
        if event is None:
            event = self._lapsed[node_id] = asyncio.Event()
        return event

    async def wait_lapse(self, node_id: str, remaining: float) -> None:
        try:
            await asyncio.wait_for(self.lapsed(node_id).wait(), remaining + self.renew_every)
        except TimeoutError:
            pass
