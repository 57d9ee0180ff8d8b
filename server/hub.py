"""The hub: sequences, persists, fans out and replays each group's events.

Per group the hub keeps one :class:`Room`: the group's full
:class:`~protocol.state.GroupState` (folded from every stored event, roster
from the members table), its head ``seq`` and the peers connected to it.

A command travels like this, all on the event loop thread:

1. :meth:`Hub.submit` queues it on its room and schedules one :meth:`Hub.flush`
   for the next loop iteration, so commands that arrive together are
   committed together (group commit).
2. :meth:`Hub.flush` answers a retried ``(member, command id)`` from its first
   result; otherwise it asks :func:`server.rules.decide`, gives the drafts the
   room's next gap-free seqs and folds them into the state.
3. The batch's events and command results are written to the store in one
   transaction *before anything is sent* (in the relay, on the writer's thread,
   :mod:`server.writer`: the loop goes on meanwhile, one batch in flight at most).
4. Each event is encoded once and written to every peer that
   :func:`protocol.roles.sees` admits; then the sender gets its ``ack``
   (or ``error``).

Writes to peers never wait: a peer buffers what it cannot send yet and is
closed with 4008 when it falls too far behind (see :mod:`server.edge`).
A joining member is registered at once but receives live events only after
:meth:`Hub.catch_up` has replayed the log to the head at the pace it reads;
checking the head and going live happen in one loop step, so no event falls
between replay and live, and none comes twice.

The hub knows nothing about websockets: a peer is any object shaped like
:class:`Peer` (tests/unit/test_hub.py drives it with in-memory peers).

The hub is this module (joining, the command pipeline, fan-out) and five
parts that work on its rooms, each in its own module: :mod:`server.room`
(the rooms, loaded from the store), :mod:`server.replay` (the paced
catch-up), :mod:`server.presence` (leaving, and who is online),
:mod:`server.membership` (revocations, new tokens and removals) and
:mod:`server.between` (attendance stretches, guests let in from the family
session's waiting room, guests' frames with first names only).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol
from collections.abc import Callable

from protocol.codec import encode
from protocol.errors import CloseCode, ErrorCode, ProtocolError
from protocol.events import SEQ, Draft, Event
from protocol.messages import (
    Command,
    Hello,
    Limits,
    WelcomeMode,
    ack_frame,
    error_frame,
    welcome_frame,
)
from protocol.family import for_guest, guest_roster
from protocol.roles import FACILITATOR, GUEST, sees
from protocol.state import GroupState

from .between import Between
from .membership import Membership
from .presence import PRESENCE_GRACE, Presence
from .quota import Quota
from .replay import Replay
from .room import Logged, Room, Rooms, member_wire
from .breakout_clock import BreakoutClock
from .rules import Actor, arrival, decide
from .smallrooms import late_placement
from .store import CommandResult, HeadMoved, MemberRecord, Store, VersionMoved, first_line
from .writer import Writer

__all__ = ["Hub", "Peer", "Room", "PRESENCE_GRACE", "RELEASE_IDLE"]

log = logging.getLogger("iop.server")

#: Why a group's members are closed with 4012 when another node claimed it (issue 16).
GROUP_MOVED = "The group moved to another relay node; reconnect now and resume."
STOPPING = "The relay is stopping; reconnect shortly."

#: Commands one batch decides at most when commits run on a writer thread (issue 16).
MAX_BATCH_COMMANDS = 64

#: Seconds a room stays loaded once nobody is in it and nothing of it is pending (Hub.idle_rooms),
#: on PostgreSQL: longer than a break in a session, so a room is unloaded (and its group released to
#: the other nodes) between sessions, never during one. ``iop-server serve --release-idle``. On a
#: SQLite folder (one node, nothing to spread) rooms stay loaded unless the flag is given: loading a
#: room again costs a read of its snapshot and a fold of what follows (docs/relay.md).
RELEASE_IDLE = 900.0

#: Batches :meth:`Hub.close` runs at most to answer what is still queued.
CLOSE_ROUNDS = 100


class Peer(Protocol):
    """What the hub needs from a connection."""

    member_id: int
    name: str
    role: str
    group_id: int
    closing: bool
    live: bool  # set by the hub: receives live events (its replay is done)
    cursor: int  # set by the hub: the next seq its replay looks at

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self, code: CloseCode, reason: str) -> None: ...


def _substitute(data: dict[str, Any], seq: int) -> dict[str, Any]:
    """Replace the :data:`SEQ` marker with ``seq`` (top level and nested maps)."""
    out = {}
    for key, value in data.items():
        if value is SEQ:
            value = seq
        elif isinstance(value, dict):
            value = _substitute(value, seq)
        out[key] = value
    return out


#: Seconds before the relay's own events of a batch that was not stored are asked for again.
JOB_RETRY = 1.0

#: How many times :meth:`Hub.arrive` logs a guest's arrival before giving up waiting for it
#: (each time, a new session began between the landing and the join).
ARRIVAL_ROUNDS = 3

#: Events the relay decides itself, from the room's state and the time (:meth:`Hub.log_soon`),
#: and what to call with them once they are stored (or None).
Job = tuple[Callable[[GroupState, float], list[Draft]], Callable[[list[Event]], None] | None]


@dataclass(slots=True)
class _Outcome:
    room: Room
    peer: Any
    command: Command | None  # the member's (None: the relay's own events); decided again if the batch is (VersionMoved)
    result: CommandResult | None  # None: an internal failure, not stored
    events: list[Event]
    job: Job | None = None  # the relay's own events (Hub.log_soon): asked again if the batch fails


@dataclass(slots=True)
class _Batch:
    """One flush's decisions, committed together and delivered once durable."""

    rooms: list[Room]
    outcomes: list[_Outcome]
    to_store: list[tuple[int, Event]]
    results: list[tuple[int, str, int, CommandResult]]
    revoked: list[int]
    usage: dict[int, int]
    now: float
    before: dict[int, int]  # group -> durable head before this batch
    after: list[tuple[Callable[..., object], tuple[Any, ...]]]  # called once it is delivered (Hub.after_answers)
    version: int | None  # the data_version it was decided at, which its commit checks (Store.checks_version)
    refused: set[int] = field(default_factory=set)  # groups dropped from it so far (Hub._commit)


class Hub(Rooms, Membership, Presence, Replay, Between):
    """All rooms of one relay process, over one :class:`Store`."""

    def __init__(
        self, store: Store, limits: Limits, *, clock=time.time, presence_grace: float = PRESENCE_GRACE, quota: Quota | None = None,
    ) -> None:
        self.store = store
        self.quota = quota if quota is not None else Quota()
        self.limits = limits
        self.clock = clock
        self.presence_grace = presence_grace
        self.rooms: dict[int, Room] = {}
        #: Called with (room, events) after events are delivered (the on-call watcher, server/oncall.py).
        self.watcher: Callable[[Room, list[Event]], None] | None = None
        #: Writes a command makes outside the log, by kind, called with (peer, data) once it is
        #: decided (a member's reminder addresses go to the store only: server/reminders.py).
        self.side_writes: dict[str, Callable[[Any, dict[str, Any]], None]] = {}
        self._dirty: list[Room] = []
        # Command ids with a stored result, per member with a live connection:
        # a new id (nearly every command) is then known to be new without a query.
        self._known: dict[int, set[str]] = {}
        # Members whose command ids and stored bytes are being read ahead (issue 16, PostgreSQL:
        # read_ahead), by how many of their connections asked: their _known is not dropped meanwhile.
        self._reading_ahead: dict[int, int] = {}
        self._actors: dict[int, Actor] = {}
        self._flush_handle: asyncio.Handle | None = None
        # Groups whose room holds decided events that were never stored (a commit failed
        # and the store could not be read back): reloaded before anything else (issue 16).
        self._stale: set[int] = set()
        # Revocations and new tokens come from the CLI in another process: the
        # store's data_version tells when it committed, and every flush checks
        # it before deciding anything (see check_members).
        self._data_version = store.data_version()
        self._tokens: dict[int, tuple[str, bool]] = {}  # member_id -> (token hash, revoked), as last read
        self.breakouts = BreakoutClock(self)  # small rooms (issue 13): "2 minutes left" and the end of a round
        # The tail (issue 16): with a writer, batches commit on its thread; one at most is in flight.
        self.writer: Writer | None = None
        self._in_flight: tuple[_Batch, concurrent.futures.Future[set[int]]] | None = None
        self._after_next: list[tuple[Callable[..., object], tuple[Any, ...]]] = []
        self._closed = False  # close() ran: nothing more is queued
        self._members_checked_this_turn = False  # a join of this turn of the loop read data_version (PostgreSQL)
        self._writer_version = 0  # the writer connection's data_version at the last landing
        #: Called once a landed batch's frames are all written (the edge sends them then, not a loop turn later).
        self.on_landed: Callable[[], None] | None = None
        #: This node's id in every welcome when there are several nodes (protocol/route.py), else None.
        self.route: str | None = None
        self._quiet_since: dict[int, float] = {}  # group id -> when its room was first seen quiet (idle_rooms)
        self._loading: dict[int, asyncio.Future[None]] = {}  # rooms being loaded in slices (Rooms.load_room)
        self._to_load: deque[int] = deque()
        self._loader: asyncio.Task[None] | None = None

    # -- joining and leaving ---------------------------------------------------

    def _room_for_join(self, member: MemberRecord) -> Room:
        """The joiner's room, its tokens, roster, settings and invitations as the store has them now
        (on PostgreSQL: as of this turn of the loop)."""
        if self.store.reads_are_round_trips:
            self._check_members_once_a_turn()
        else:
            self.check_members()
        room = self.room(member.group_id)
        self._reload_if_stale(room)
        self.refresh_if_changed(room)
        if room.membership:
            # Log a revocation or reinstatement before the welcome, so the
            # joiner's roster already says it (a reissued member is back in).
            if self._flush_handle is not None:
                self._flush_handle.cancel()
                self._flush_handle = None
            # With a writer (issue 16), never wait here: the change is logged by the next
            # batch and reaches the joiner live, after the durable head its welcome shows.
            self.flush()
        return room

    def _check_members_once_a_turn(self) -> None:
        """On PostgreSQL, :meth:`check_members` for a join reads ``data_version``, a round trip on the
        loop: the joins ready in one turn of the loop share one read (after a node dies, hundreds of
        members join in one turn; issue 16, the storm). Nothing can be seen to change within a turn
        but by reading again, and the joiner's own token was read at their hello; the batch's commit
        checks the counter itself and housekeeping reads it every second."""
        if self._members_checked_this_turn:
            return
        self.check_members()
        self._members_checked_this_turn = True
        asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._members_checked_this_turn = False

    async def arrive(self, member: MemberRecord) -> tuple[CloseCode, str] | None:
        """Before a guest's welcome: log that they are now in the live session (``guest.arrived``,
        or ``guest.waiting`` for a family session's waiting room), once per session, and wait until
        it is stored and delivered. What they see of the session is counted from that event, so
        their welcome (their roster) and replay already include it.

        It goes into the room's next batch (:meth:`log_soon`) and this waits for that batch on the
        loop's terms: nothing else waits for it (issue 16, the tail: a commit from the loop here held
        every group while the disk, the CLI's write lock or PostgreSQL held it). None: nothing is
        left to log, and the caller joins in this same step (no turn of the loop between the last
        look and the welcome). Else the close code and reason to close the guest with: another node
        owns the group now (it was dropped here: 4012), or the relay is stopping (1001)."""
        for _ in range(ARRIVAL_ROUNDS):
            room = self._room_for_join(member)
            if not arrival(room.state, member.id):
                return None
            logged: asyncio.Future[tuple[CloseCode, str] | None] = asyncio.get_running_loop().create_future()
            room.arriving.append(logged)

            def done(_events: list[Event], logged: asyncio.Future[tuple[CloseCode, str] | None] = logged) -> None:
                if not logged.done():
                    logged.set_result(None)

            def make(state: GroupState, _now: float, member_id: int = member.id, done: Callable[[list[Event]], None] = done) -> list[Draft]:
                drafts = arrival(state, member_id)
                if not drafts:
                    done([])  # logged meanwhile (another connection of theirs): every batch before this one landed
                return drafts

            self.log_soon(room, make, done)
            try:
                refused = await logged
            finally:
                if logged in room.arriving:
                    room.arriving.remove(logged)
            if refused is not None:
                return refused
        return None  # (a session began again each time meanwhile) join() logs it, to reach them live

    def join(self, peer: Any, member: MemberRecord, hello: Hello) -> Room:
        """Welcome ``peer`` and register it; it next runs :meth:`catch_up`
        (a guest's replay, paced like a member's, starts at its session's start).
        The edge first has a guest's arrival stored (:meth:`arrive`); a guest not yet arrived here
        (the hub driven directly) has their arrival logged by the next batch, live."""
        room = self._room_for_join(member)
        self._quiet_since.pop(room.group.id, None)  # someone came: the room's idle wait starts again when they go
        if peer.role == GUEST and arrival(room.state, peer.member_id):
            member_id = peer.member_id
            self.log_soon(room, lambda state, _now: arrival(state, member_id))
        # Small rooms (issue 13): a member who comes late goes to a room, logged by the room's next
        # batch (it reaches them live, after the welcome); after a restart the round's clock runs again.
        if late_placement(room.state, peer.member_id):
            member_id = peer.member_id
            self.log_soon(room, lambda state, _now: late_placement(state, member_id))
        self.breakouts.ensure(room)
        head = self.shown_head(room)  # durable seqs only (a batch may be in flight)
        resume = hello.resume_from
        mode: WelcomeMode
        if peer.role == GUEST:
            session = room.state.session
            if session is None:
                mode, start = "reset", head + 1
            elif resume is not None and session.session_id - 1 <= resume <= head:
                mode, start = "resume", resume + 1
            else:
                mode, start = "reset", session.session_id
        elif resume is not None and resume <= head:
            mode, start = "resume", resume + 1
        else:
            mode, start = "reset", 1
        away = room.away.pop(peer.member_id, None)
        if away is not None:
            away.cancel()
        first_peer = not room.online.get(peer.member_id)
        room.online[peer.member_id] = room.online.get(peer.member_id, 0) + 1
        room.state.update_member({"id": peer.member_id}, status="online")
        peer.write(
            encode(
                welcome_frame(
                    member=member_wire(peer),
                    group={"id": room.group.id, "name": room.group.name},
                    roster=(guest_roster(room.roster_wire()) if room.state.visited(peer.member_id) else []) if peer.role == GUEST else room.roster_wire(),
                    limits=self.limits,
                    head_seq=head,
                    mode=mode,
                    replay_from=start,
                    route=self.route,
                )
            )
        )
        peer.live = False
        peer.cursor = start
        room.peers.append(peer)
        self._read_ahead(room, peer.member_id)
        if first_peer:
            self.attend_join(room, peer.member_id, peer.role)
            self._presence(room, peer, "online", skip=peer)
            if away is not None:
                log.info("%s (%s) reconnected to %s", peer.name, peer.role, room.group.name)
            else:
                log.info("%s (%s) joined %s", peer.name, peer.role, room.group.name)
        if peer.role == FACILITATOR:
            self.tell_attendance(room, only=peer)  # the live session's attendance so far (server/between.py)
        return room

    def _read_ahead(self, room: Room, member_id: int) -> None:
        """On PostgreSQL, read what deciding a member's commands needs (the command ids already
        answered, the bytes they stored) while they catch up, on the writer's thread, not at their
        first command on the loop: a round trip each, and after an owner dies, thousands at once.

        Read there, in order after every batch submitted before it, and taken once those batches
        have landed (their landings are queued on the loop first), so it holds every command of
        theirs decided so far. A command of theirs decided meanwhile reads the store itself, as
        without this (no batch is in flight then), and the read is dropped; while it runs their
        known ids are not dropped (:meth:`leave`), so nothing decided meanwhile is forgotten."""
        if self.writer is None or not self.store.reads_are_round_trips:
            return  # SQLite: a read at the first command is a page of a local file
        if member_id in self._known and member_id in self.quota.totals:
            return
        self._reading_ahead[member_id] = self._reading_ahead.get(member_id, 0) + 1
        loop = asyncio.get_running_loop()
        future = self.writer.submit(Store.member_state, member_id)
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(self._read_ahead_done, room, member_id, f))

    def _read_ahead_done(self, room: Room, member_id: int, future: concurrent.futures.Future[tuple[set[str], int]]) -> None:
        still = self._reading_ahead.pop(member_id) - 1
        if still:
            self._reading_ahead[member_id] = still
        gone = not room.online.get(member_id)
        if gone and not still:
            self._known.pop(member_id, None)  # gone meanwhile: what leave() kept is dropped now
        if gone or self.rooms.get(room.group.id) is not room or future.exception() is not None or self._closed:
            return  # (a read that failed: read at their first command instead)
        ids, stored = future.result()
        self._known.setdefault(member_id, ids)
        self.quota.totals.setdefault(member_id, stored)

    # -- commands --------------------------------------------------------------

    def submit(self, peer: Any, command: Command) -> None:
        """Queue a validated command; it is decided and committed on the next loop turn."""
        room = self.rooms.get(peer.group_id)
        if room is None:  # the group was dropped (another node owns it now): its peers are closing with 4012
            return
        if room not in self._dirty:  # (not "if nothing was pending": a room must never keep commands unflushed)
            self._dirty.append(room)
        room.pending.append((peer, command))
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Decide, commit and deliver every queued command (one transaction)."""
        self._flush_handle = None
        if self._in_flight is not None:
            return  # decided once the batch in flight has landed (it schedules the next flush)
        # Revocations and new tokens first. On PostgreSQL the commit checks data_version itself
        # (a read here would be a round trip on the loop before every batch): read the tokens
        # here only when it is not known (at start, or after a commit saw it move).
        version_in_commit = self.writer is not None and self.store.checks_version
        if not version_in_commit or self._data_version < 0:
            self.check_members(schedule=False)
        rooms, self._dirty = self._dirty, []
        if not rooms:
            for fn, args in self._after_next:
                asyncio.get_running_loop().call_soon(fn, *args)
            self._after_next = []
            return
        now = self.clock()
        # With a writer, commands queue while a batch is in flight: decide at most
        # MAX_BATCH_COMMANDS at once, so one batch never floods a reader (the rest go next).
        budget = MAX_BATCH_COMMANDS if self.writer is not None else -1
        leftover: list[Room] = []
        outcomes: list[_Outcome] = []
        to_store: list[tuple[int, Event]] = []
        results: list[tuple[int, str, int, CommandResult]] = []
        revoked: list[int] = []
        usage: dict[int, int] = {}  # member_id -> bytes this batch stores for them
        seen: dict[tuple[int, str], CommandResult] = {}
        before: dict[int, int] = {}  # group -> its durable head, shown until this batch lands
        for room in rooms:
            if budget < 0:
                pending, room.pending = room.pending, []
            else:
                pending, room.pending = room.pending[:budget], room.pending[budget:]
                budget -= len(pending)
                if room.pending:
                    leftover.append(room)
            gid = room.group.id
            if gid in self._stale and not self._reload_if_stale(room, quiet=True):
                # The store is still unreachable: nothing is decided on a state it never held.
                outcomes.extend(_Outcome(room, peer, command, None, []) for peer, command in pending)
                continue
            before[gid] = room.head
            if room.membership:
                try:
                    drafts = self._membership_drafts(room)
                except Exception as exc:  # the store is unreachable (PostgreSQL restarting): read them at the next batch
                    room.membership = True
                    log.warning("group %s: its members could not be read (%s); its commands are answered 'try again'", gid, first_line(exc))
                    outcomes.extend(_Outcome(room, peer, command, None, []) for peer, command in pending)
                    continue
                events = self._sequence_server(room, drafts, now)
                for event in events:
                    room.state.apply(event)
                    to_store.append((gid, event))
                if events:
                    outcomes.append(_Outcome(room, None, None, None, events))
            jobs, room.jobs = room.jobs, []
            for job in jobs:
                events = self._sequence_server(room, job[0](room.state, now), now)
                for event in events:
                    room.state.apply(event)
                    to_store.append((gid, event))
                if events:
                    outcomes.append(_Outcome(room, None, None, None, events, job))
            for peer, command in pending:
                refusal = self._refusal(peer)
                if refusal is not None:
                    # Not stored: the member may be given a new token and retry.
                    peer.write(encode(error_frame(ProtocolError(ErrorCode.UNAUTHORIZED, refusal, command.id))))
                    continue
                key = (peer.member_id, command.id)
                try:
                    known = self._known.get(peer.member_id)
                    if known is None:
                        known = self._known[peer.member_id] = self.store.command_ids(peer.member_id)
                    prior = seen.get(key)
                    if prior is None and command.id in known:
                        prior = self.store.command_result(*key)
                except Exception as exc:
                    # The store is unreachable (PostgreSQL restarting): nothing is decided on what it
                    # could not say (a retry's stored result); answered "try again", like a failed commit.
                    log.warning("%s's answered commands could not be read (%s); their command is answered 'try again'", peer.name, first_line(exc))
                    outcomes.append(_Outcome(room, peer, command, None, []))
                    continue
                if prior is not None:
                    outcomes.append(_Outcome(room, peer, command, prior, []))
                    continue
                try:
                    actor = self._actors.get(peer.member_id)
                    if actor is None:
                        actor = self._actors[peer.member_id] = Actor(peer.member_id, peer.name, peer.role)
                    drafts = decide(room.state, actor, command, now)
                    events = self._sequence(room, peer, drafts, now)
                    # Asking for help is never refused for want of storage.
                    size = 0 if command.kind == "urgent.raise" else self._charge(peer.member_id, events, now, usage, peer.role)
                    side_write = self.side_writes.get(command.kind)
                    if side_write is not None:
                        side_write(peer, command.data)
                except ProtocolError as err:
                    if err.code == ErrorCode.QUOTA_EXCEEDED:
                        # Not remembered against the id: the same command may fit later.
                        peer.write(encode(error_frame(err.with_id(command.id))))
                        continue
                    result = CommandResult(None, None, err.code, err.message)
                    events = []
                except Exception:
                    log.exception("deciding %s for %s failed", command.kind, peer.name)
                    outcomes.append(_Outcome(room, peer, command, None, []))
                    continue
                else:
                    if size:
                        usage[peer.member_id] = usage.get(peer.member_id, 0) + size
                    result = CommandResult(events[0].seq, events[-1].seq) if events else CommandResult(None, None)
                    for event in events:
                        room.state.apply(event)
                        to_store.append((gid, event))
                        if event.type == "member.removed":
                            revoked.append(int(event.data["member_id"]))
                seen[key] = result
                known.add(command.id)
                results.append((peer.member_id, command.id, gid, result))
                outcomes.append(_Outcome(room, peer, command, result, events))
        self._dirty[:0] = leftover  # first in line for the next batch
        version = self._data_version if version_in_commit else None
        batch = _Batch(rooms, outcomes, to_store, results, revoked, usage, now, before, self._after_next, version)
        self._after_next = []
        self.fenced = set()
        if self.writer is None:
            try:
                refused = self._commit(batch)
            except Exception:
                log.exception("saving %d events failed; nothing was applied", len(to_store))
                refused = None
            self._land(batch, refused)
            return
        # The tail (issue 16): the writer commits here when its commit cannot wait on the disk or
        # the network, else on its thread while the loop goes on (server/writer.py).
        self._send(batch)

    def _send(self, batch: _Batch) -> None:
        """Hand ``batch`` to the writer; it lands (:meth:`_landed`) once durable or refused."""
        assert self.writer is not None
        future = self.writer.submit(self._commit_on, batch)
        self._in_flight = (batch, future)
        if future.done():
            self._landed(batch, go_on=False)  # what queued meanwhile is decided on the next turn
            return
        loop = asyncio.get_running_loop()
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(self._landed, batch))

    def _land(self, batch: _Batch, refused: set[int] | None) -> None:
        """The batch is durable (``refused``: groups dropped from it) or failed whole
        (None): apply quotas, reload what was dropped, then deliver and answer."""
        outcomes, revoked = batch.outcomes, batch.revoked
        # The relay's own events of a room whose part of the batch was not stored are asked for
        # again, a moment later, from the room as it is read back (not at once: a store that
        # refuses every write must not spin the loop); a room another node owns now is dropped.
        failed = {room.group.id for room in batch.rooms} if refused is None else refused - self.fenced
        for outcome in outcomes:
            if outcome.job is not None and outcome.room.group.id in failed:
                asyncio.get_running_loop().call_later(JOB_RETRY, self._queue_job, outcome.room, outcome.job)
        if refused is None:
            for room in batch.rooms:
                # stale until the store can be read back (PostgreSQL restarting): see _reload_if_stale
                self._stale.add(room.group.id)
                self._reload_if_stale(room, quiet=True)
            for outcome in outcomes:
                outcome.result, outcome.events = None, []
            revoked = []
        else:
            for member_id, size in batch.usage.items():
                self.quota.add(member_id, size, batch.now)
            if refused:
                if refused & self.fenced:
                    log.warning("the batch of group(s) %s was refused because another relay node owns them now; dropping them here", sorted(refused & self.fenced))
                if refused - self.fenced:
                    log.warning("the stored head of group(s) %s moved (another writer); their batch was dropped", sorted(refused - self.fenced))
                for room in batch.rooms:
                    if room.group.id in self.fenced:  # another node owns it now (issue 16)
                        self.drop_group(room.group.id, GROUP_MOVED)
                    elif room.group.id in refused:
                        self._reload(room)
                for outcome in outcomes:
                    if outcome.room.group.id in refused:
                        outcome.result, outcome.events = None, []
        for outcome in outcomes:
            self._deliver(outcome)
        for member_id in revoked:
            self._close_member(member_id)
        for fn, args in batch.after:
            fn(*args)

    # -- the tail (issue 16): commits on a writer thread (server/writer.py) --

    def use_writer(self, writer: Writer) -> None:
        """Commit batches on ``writer``'s thread from now on (the relay does; tests may not)."""
        self.writer = writer
        self._writer_version = writer.data_version()

    def _commit_on(self, store: Store, batch: _Batch) -> set[int]:
        """The head-checked commit, on the writer's connection (here or on its thread)."""
        return self._commit(batch, store=store)

    def _landed(self, batch: _Batch, *, go_on: bool = True) -> None:
        """On the loop, once the batch in flight is durable or failed: deliver it, then decide what queued
        meanwhile, in this same step (``go_on``; :meth:`settle` instead leaves nothing in flight)."""
        if self._in_flight is None or self._in_flight[0] is not batch:
            return  # already landed by settle()
        future = self._in_flight[1]
        self._in_flight = None
        try:
            refused: set[int] | None = future.result()
        except VersionMoved:
            self._decided_at_an_old_version(batch, go_on)
            return
        except Exception:
            log.exception("saving %d events failed; nothing was applied", len(batch.to_store))
            refused = None
        assert self.writer is not None
        # SQLite: the writer's commit moved the loop connection's data_version. Read it, then the
        # writer connection's (idle now; only others' commits move it): if that moved since
        # the last landing, another connection (the CLI) committed: re-read the tokens.
        # PostgreSQL: one counter for all, read by the commit's own statement (and checked by it:
        # Store.checks_version), so the loop makes no round trip here; a revocation the batch
        # committed itself moved it past what the statement read: read the tokens again.
        seen = self.writer.store.version_at_commit
        try:
            if seen is not None:
                loop_version = writer_version = seen
            elif self.writer.idle:
                loop_version = self.store.data_version()
                writer_version = self.writer.data_version()
            else:
                # An attendance write waits on the thread behind this batch (the CLI held the
                # lock): the connection is the thread's, so the next flush reads the tokens again.
                loop_version, writer_version = -1, self._writer_version
        except Exception:
            # The store is unreachable (PostgreSQL restarting): the batch is still answered,
            # and the tokens are read again once it answers (the next check_members).
            log.warning("the store's data_version could not be read after a commit; the tokens will be read again")
            self._data_version = -1
        else:
            others = writer_version != self._writer_version or (seen is not None and bool(batch.revoked))
            self._writer_version = writer_version
            self._data_version = -1 if others else loop_version
        self._land(batch, refused)
        if self.on_landed is not None:
            self.on_landed()
        self._next_batch(go_on)

    def _next_batch(self, go_on: bool) -> None:
        """After a landing: decide what queued meanwhile now (``go_on``), or on the next loop turn."""
        if not self._dirty:
            return
        if go_on:
            # The next batch goes to the writer now, not a loop turn later (issue 16, the tail).
            if self._flush_handle is not None:
                self._flush_handle.cancel()
                self._flush_handle = None
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self.flush)

    def _decided_at_an_old_version(self, batch: _Batch, go_on: bool) -> None:
        """The store refused ``batch`` because data_version moved after it was decided: nothing of
        it was stored. The tokens are read again now; when none of its commands is from a member
        the change refuses and its rooms' members, settings and invitations are as they were
        decided with (the change was about another group, or someone else's token), the same batch
        is committed again at the new version, with no room folded again from its log; else it is
        decided again (:meth:`_decide_again`)."""
        self._data_version = -1
        try:
            self.check_members()
            unchanged = not any(o.command is not None and self._refusal(o.peer) is not None for o in batch.outcomes) and all(
                self.as_decided(room) for room in batch.rooms
            )
        except Exception:
            log.warning("the members' tokens or a group's settings could not be read again; deciding the batch again")
        else:
            if unchanged:
                log.info("data_version moved while a batch of %d events was in flight; committing it again", len(batch.to_store))
                batch.version = self._data_version
                self._send(batch)
                return
        self._decide_again(batch)
        self._next_batch(go_on)

    def _decide_again(self, batch: _Batch) -> None:
        """The store refused ``batch`` because data_version moved after it was decided (the CLI
        revoked a member, gave a new token, or changed a group's settings or a guest's invitation):
        nothing of it was stored or sent. Its rooms are folded again from the store and its
        commands and the relay's own events queued again, first in line, to be decided on the
        tokens as read again (a revoked member's are refused then)."""
        log.info("data_version moved while a batch of %d events was in flight; deciding it again", len(batch.to_store))
        again: dict[int, list[tuple[Any, Command]]] = {}
        for outcome in batch.outcomes:
            if outcome.command is not None:
                again.setdefault(outcome.room.group.id, []).append((outcome.peer, outcome.command))
            elif outcome.job is not None:
                outcome.room.jobs.append(outcome.job)
        for room in reversed(batch.rooms):
            gid = room.group.id
            if self.rooms.get(gid) is not room:
                continue  # dropped meanwhile (another node owns it now): its members were closed
            self._stale.add(gid)  # read back now; stale (its commands refused) while the store cannot be read
            self._reload_if_stale(room, quiet=True)
            room.pending[:0] = again.get(gid, [])
            if room in self._dirty:
                self._dirty.remove(room)
            self._dirty.insert(0, room)
        self._after_next[:0] = batch.after

    def settle(self) -> None:
        """Wait (blocking) for the batch in flight and deliver it: at shutdown (:meth:`close`),
        the one step that may hold the loop for the store."""
        if self._in_flight is None:
            return
        batch, future = self._in_flight
        concurrent.futures.wait([future])
        self._landed(batch, go_on=False)

    def after_answers(self, fn: Callable[..., object], *args: Any) -> None:
        """Call ``fn(*args)`` once every command submitted so far is answered (its batch landed):
        the edge cuts a flooder only after its accepted commands are acked."""
        if self._dirty or self._flush_handle is not None:
            self._after_next.append((fn, args))  # taken by the next batch
        elif self._in_flight is not None:
            self._in_flight[0].after.append((fn, args))
        else:
            asyncio.get_running_loop().call_soon(fn, *args)

    def shown_head(self, room: Room) -> int:
        """The room's head as a welcome or a replay may show it: durable seqs only."""
        if self._in_flight is not None:
            before = self._in_flight[0].before.get(room.group.id)
            if before is not None:
                return before
        return room.head

    # -- the store seam (issue 16): the group's head check --

    def _reload_if_stale(self, room: Room, *, quiet: bool = False) -> bool:
        """Fold a stale room again from the store; True when it is fresh.

        After a failed commit the room's state holds events that were decided but
        never stored. When the store cannot be read back either (PostgreSQL
        restarting), the group stays stale: its commands are answered "nothing was
        applied, so try again" and joins fail (the member retries) until a reload
        works, so no welcome, replay or seq is built on what was never stored.

        A commit whose answer was lost (the connection broke after PostgreSQL
        committed) was stored after all: its events, found beyond the last seq
        delivered, are delivered now, so live members hold no gap (their retried
        ids are answered from the stored results). ``quiet``: a reload that fails
        is logged, not raised."""
        if room.group.id not in self._stale:
            return True
        delivered = room.tail[-1].seq if room.tail else 0
        try:
            self._reload(room)
            stored = self.store.events_after(room.group.id, delivered)
        except Exception:
            if not quiet:
                raise
            log.warning("group %s cannot be read back from the store yet; its commands are refused until it can", room.group.id)
            return False
        self._stale.discard(room.group.id)
        if stored:
            log.warning("group %s: a commit reported as failed was stored (seqs %d..%d); delivering it now", room.group.id, stored[0].seq, stored[-1].seq)
            while room.tail and room.tail[-1].seq > delivered:
                room.tail.pop()
            self._fan_out(room, stored)
        return True

    def _commit(self, batch: _Batch, *, store: Store | None = None) -> set[int]:
        """Commit the batch; return ``batch.refused``, grown by the groups dropped from it because
        their stored head moved (:class:`~server.store.HeadMoved`: another writer committed
        first; :attr:`fenced` the ones another node claimed). The rest is committed without
        them, in one transaction; its lists and ``usage`` are left holding only what was
        committed. Called again after :class:`~server.store.StoreBusy` (the writer moved it
        to its thread) or with the batch sent again, it goes on with what it refused before.
        The store checks ``batch.version``, the data_version it was decided at
        (:class:`~server.store.VersionMoved` is raised, nothing written, when it moved; None: not checked)."""
        to_store, results, revoked, usage, refused = batch.to_store, batch.results, batch.revoked, batch.usage, batch.refused
        while True:
            try:
                (store or self.store).commit(to_store, results, revoked, usage.items(), version=batch.version)
                return refused
            except HeadMoved as moved:
                refused |= moved.groups
                self.fenced |= moved.fenced
            members = {mid for mid, _cid, gid, _r in results if gid in refused}
            removed = {int(e.data["member_id"]) for gid, e in to_store if gid in refused and e.type == "member.removed"}
            to_store[:] = [(gid, e) for gid, e in to_store if gid not in refused]
            results[:] = [r for r in results if r[2] not in refused]
            revoked[:] = [m for m in revoked if m not in removed]
            for member_id in members:
                usage.pop(member_id, None)

    # -- idle rooms (issue 16): unloaded between sessions, and released to the other nodes --

    def idle_rooms(self, now: float, after: float) -> list[int]:
        """The groups whose room has been quiet for ``after`` seconds by ``now`` (any clock that only
        goes forward, the same at every call). Quiet: nobody connected or within their grace
        period, nothing queued, decided or in flight, no guest arriving, no breakout round's call
        to come. Such a room holds nothing the store does not: the caller may unload it
        (:meth:`unload`), and it is loaded again from the store when someone comes back.
        A join, or an event the relay logs, in between two calls starts the wait again."""
        in_flight = self._in_flight[0].rooms if self._in_flight is not None else ()
        quiet_since = self._quiet_since
        idle: list[int] = []
        for gid, room in self.rooms.items():
            if (
                room.peers or room.away or room.pending or room.jobs or room.arriving
                or room in self._dirty or room in in_flight or gid in self._stale or self.breakouts.running(gid)
            ):
                quiet_since.pop(gid, None)
            elif now - quiet_since.setdefault(gid, now) >= after:
                idle.append(gid)
        for gid in [g for g in quiet_since if g not in self.rooms]:
            del quiet_since[gid]
        return idle

    # -- placement (issue 16): a group this node no longer owns (server/placement.py) --

    #: Groups of the last commit refused because another node owns them now (their epoch moved).
    fenced: set[int] = set()
    #: Called with a group the hub dropped (the placement forgets its epoch).
    on_group_dropped: Callable[[int], None] | None = None

    def drop_group(self, group_id: int, reason: str) -> None:
        """Forget the group's room (nothing of it is delivered any more) and close its peers
        with OWNER_MOVED (4012): they reconnect at once and resume from the group's new owner."""
        if self.on_group_dropped is not None:
            self.on_group_dropped(group_id)
        self.forget_load(group_id)
        room = self.rooms.pop(group_id, None)
        if room is None:
            return
        for handle in room.away.values():
            handle.cancel()
        room.away.clear()
        for logged in room.arriving:  # guests waiting for their arrival: closed by the edge
            if not logged.done():
                logged.set_result((CloseCode.OWNER_MOVED, reason))
        room.pending.clear()
        if room in self._dirty:
            self._dirty.remove(room)
        for member_id in room.state.roster:
            self._known.pop(member_id, None)  # another node stored results meanwhile: read them again
        peers, room.peers = list(room.peers), []
        for peer in peers:
            peer.close(CloseCode.OWNER_MOVED, reason)
        log.info("dropped %s: %s", room.group.name, reason)

    def _sequence(self, room: Room, peer: Any, drafts: list[Draft], now: float) -> list[Event]:
        first = room.head + 1
        return [
            # An anonymous draft (a card on an anonymous board) is logged with no actor.
            Event(first + i, d.type, now, 0 if d.anonymous else peer.member_id, "" if d.anonymous else peer.name, d.audience, d.subject, _substitute(d.data, first))
            for i, d in enumerate(drafts)
        ]

    def _charge(self, member_id: int, events: list[Event], now: float, usage: dict[int, int], role: str) -> int:
        """The bytes ``events`` would store for the member; refuse past their quota."""
        if not events:
            return 0
        size = sum(len(encode(e.data)) for e in events)
        if member_id not in self.quota.totals:
            self.quota.totals[member_id] = self.store.stored_bytes(member_id)
        self.quota.check(member_id, size, now, usage.get(member_id, 0), facilitator=role == FACILITATOR)
        return size

    def _sequence_server(self, room: Room, drafts: list[Draft], now: float) -> list[Event]:
        """Events the relay itself decided (actor 0), such as a revocation from the CLI."""
        first = room.head + 1
        return [
            Event(first + i, d.type, now, 0, "", d.audience, d.subject, _substitute(d.data, first))
            for i, d in enumerate(drafts)
        ]

    def _deliver(self, outcome: _Outcome) -> None:
        self._fan_out(outcome.room, outcome.events)
        result = outcome.result
        command = outcome.command
        if command is None:  # the relay's own events: nobody waits for an answer
            then = outcome.job[1] if outcome.job is not None else None
            if then is not None and outcome.events:  # empty: the batch was not stored
                then(outcome.events)
            return
        if result is None:
            err = ProtocolError(ErrorCode.INTERNAL, "The server could not save that; nothing was applied, so try again.")
            outcome.peer.write(encode(error_frame(err.with_id(command.id))))
        elif result.error_code is not None:
            err = ProtocolError(result.error_code, result.error_message or "That was refused.", command.id)
            outcome.peer.write(encode(error_frame(err)))
        else:
            outcome.peer.write(encode(ack_frame(command.id, result.last_seq)))

    def _fan_out(self, room: Room, events: list[Event]) -> None:
        """Log ``events`` in the room's tail and write each to every live peer the one rule admits."""
        self.before_fan_out(room, events)  # attendance, guests let in (server/between.py)
        peers = room.peers
        for event in events:
            frame = encode(event.to_wire())
            audience, subject = event.audience, event.subject
            room.tail.append(Logged(event.seq, audience, subject, frame, event.type))
            visits, stays = room.state.visits, room.state.stays
            for_guests: bytes | None = None
            for p in peers:
                if p.live and sees(
                    p.role, p.member_id, audience, subject, event.seq, event.type, visits.get(p.member_id, ()), stays.get(p.member_id, ())
                ):
                    if p.role == GUEST:  # people by first name only (server/between.py)
                        for_guests = for_guests or encode(for_guest(event.to_wire()))
                        p.write(for_guests)
                    else:
                        p.write(frame)
        if self.watcher is not None and events:
            self.watcher(room, events)
        if events:
            self.breakouts.watch(room, events)

    def log_soon(self, room: Room, make: Callable[[GroupState, float], list[Draft]], then: Callable[[list[Event]], None] | None = None) -> None:
        """Log events the relay decides itself (actor 0: a late member placed in a small room, a
        room's "2 minutes left", an email sent): ``make(state, now)`` gives their drafts when the
        room's next batch is decided, first in it, so they are stored with that batch and delivered
        once it is durable; nothing waits for them on the loop (issue 16, the tail: on PostgreSQL a
        wait here held every group for a commit's round trip, once per group whose clock was due).

        ``make`` derives them from the state, giving nothing once they are no longer due: when
        the batch is not stored, the room is read back and ``make`` asked again (``JOB_RETRY``
        seconds later), so nothing is logged twice or lost. ``then(events)`` is called once they are stored and delivered;
        when another node owns the group now, it is dropped here and that node logs them."""
        self._queue_job(room, (make, then))

    def _queue_job(self, room: Room, job: Job) -> None:
        if self._closed or self.rooms.get(room.group.id) is not room:
            return  # shut down, or dropped (another node owns the group now)
        room.jobs.append(job)
        self._quiet_since.pop(room.group.id, None)
        if room not in self._dirty:
            self._dirty.append(room)
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self.flush)

    def facilitators_online(self, room: Room) -> bool:
        """Whether a facilitator of the room has a live connection."""
        return any(p.role == FACILITATOR and not p.closing for p in room.peers)

    def close(self) -> None:
        """Run whatever is still queued, so every accepted command is answered."""
        self.breakouts.close()
        if self._loader is not None:
            self._loader.cancel()
        for group_id in list(self._loading):
            self.forget_load(group_id)  # their joiners go on to a relay that stops
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self.settle()
        for _ in range(CLOSE_ROUNDS):  # each round decides at most MAX_BATCH_COMMANDS; a batch may be decided again
            self.flush()
            self.settle()
            if not self._dirty:
                break
        self._closed = True  # a retry of the relay's own events still timed finds nothing to do
        for room in self.rooms.values():  # a guest whose arrival's batch failed: not welcomed now
            for logged in room.arriving:
                if not logged.done():
                    logged.set_result((CloseCode.GOING_AWAY, STOPPING))
