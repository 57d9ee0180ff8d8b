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
   transaction *before anything is sent*.
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
:class:`Peer`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from collections.abc import Callable

from protocol.codec import encode
from protocol.errors import CloseCode, ErrorCode, ProtocolError
from protocol.events import SEQ, Draft, Event
from protocol.messages import (
    Command,
    Hello,
    Limits,
    PresenceStatus,
    WelcomeMode,
    ack_frame,
    error_frame,
    presence_frame,
    synced_frame,
    welcome_frame,
)
from protocol.roles import EVERYONE, FACILITATOR, GUEST, sees
from protocol.state import GroupState

from .rules import Actor, arrival, decide
from .quota import Quota
from .store import CommandResult, GroupRecord, MemberRecord, Store

__all__ = ["Hub", "Peer", "Room"]

log = logging.getLogger("iop.server")


#: How many recent encoded events each room keeps for fast resumes.
TAIL_EVENTS = 256
#: A member's replay writes about this many bytes, then waits for the socket to drain.
REPLAY_CHUNK_BYTES = 64 * 1024
#: Seconds a member whose connection was lost (not closed) shows as
#: "reconnecting" before the others are told they left: a blip on a bad link
#: should not read as someone walking out of the group.
PRESENCE_GRACE = 30.0
#: Events read from the store per replay step.
REPLAY_CHUNK_EVENTS = 500


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


class _Logged(NamedTuple):
    """An event in a room's tail: what fan-out and replay need, already encoded.

    A tuple of plain values, so the garbage collector soon stops tracking it.
    """

    seq: int
    audience: str
    subject: int | None
    frame: bytes
    type: str = ""


class Room:
    """One group's live state, peers and recent events."""

    def __init__(self, group: GroupRecord, state: GroupState, tail: deque[_Logged]) -> None:
        self.group = group
        self.state = state
        self.tail = tail
        self.peers: list[Any] = []
        self.online: dict[int, int] = {}  # member_id -> number of live peers
        self.away: dict[int, asyncio.TimerHandle] = {}  # lost members within their grace period
        self.pending: list[tuple[Any, Command]] = []
        self.membership = True  # compare the roster with the members table on the next flush

    @property
    def head(self) -> int:
        return self.state.head_seq

    def roster_wire(self) -> list[dict[str, Any]]:
        return [
            {
                "id": e.member_id,
                "name": e.name,
                "role": e.role,
                "status": "online" if self.online.get(e.member_id) else "reconnecting" if e.member_id in self.away else "offline",
                "muted": e.muted,
                **({"removed": True} if e.removed else {}),
            }
            for e in self.state.roster.values()
        ]


def _member_wire(peer: Any) -> dict[str, Any]:
    return {"id": peer.member_id, "name": peer.name, "role": peer.role}


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


@dataclass(slots=True)
class _Outcome:
    room: Room
    peer: Any
    command_id: str
    result: CommandResult | None  # None: an internal failure, not stored
    events: list[Event]


class Hub:
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
        self._dirty: list[Room] = []
        # Command ids with a stored result, per member with a live connection:
        # a new id (nearly every command) is then known to be new without a query.
        self._known: dict[int, set[str]] = {}
        self._actors: dict[int, Actor] = {}
        self._flush_handle: asyncio.Handle | None = None
        # Revocations and new tokens come from the CLI in another process: the
        # store's data_version tells when it committed, and every flush checks
        # it before deciding anything (see check_members).
        self._data_version = store.data_version()
        self._tokens: dict[int, tuple[str, bool]] = {}  # member_id -> (token hash, revoked), as last read

    # -- rooms -------------------------------------------------------------

    def room(self, group_id: int) -> Room:
        """The group's room, folded from the store on first use."""
        room = self.rooms.get(group_id)
        if room is None:
            room = self.rooms[group_id] = self._load(group_id)
            self._want_membership(room)
        return room

    def _load(self, group_id: int) -> Room:
        group = self.store.group(group_id)
        if group is None:
            raise LookupError(f"no group {group_id}")
        state = GroupState()
        self._refresh_roster(state, group_id)
        tail: deque[_Logged] = deque(maxlen=TAIL_EVENTS)
        for event in self.store.iter_events(group_id):
            state.apply(event)
            tail.append(_Logged(event.seq, event.audience, event.subject, encode(event.to_wire()), event.type))
        return Room(group, state, tail)

    def _refresh_roster(self, state: GroupState, group_id: int) -> None:
        """Add members invited since the room was loaded (the CLI may run meanwhile).

        Whether a member is removed is the log's word (``member.removed`` and
        ``member.reinstated`` events); :meth:`_membership_drafts` logs those
        events when the members table says otherwise, so every reader's fold
        agrees with the store.
        """
        for record in self.store.members(group_id):
            if record.id not in state.roster:
                state.update_member({"id": record.id, "name": record.name, "role": record.role})
        settings = self.store.group_settings(group_id)
        state.alert_mood, state.watch_words = settings.alert_mood, frozenset(settings.watch_words)

    # -- revocations and new tokens ---------------------------------------------

    def check_members(self, *, schedule: bool = True) -> None:
        """Act on revocations and new tokens committed by another process, at once.

        Cheap when nothing changed (one ``PRAGMA data_version``); it runs at
        the start of every flush and every join, so no command is decided and
        no event is sent to a member after their revocation was committed.
        Connections of a revoked member, or opened with a token since replaced,
        are closed with 4001; each loaded room logs the change on its next flush.
        """
        version = self.store.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        online = {p.member_id for room in self.rooms.values() for p in room.peers}
        self._tokens = self.store.token_states(online)
        for room in self.rooms.values():
            for p in list(room.peers):
                refusal = self._refusal(p)
                if refusal is not None:
                    p.close(CloseCode.UNAUTHORIZED, refusal)
            self._want_membership(room, schedule=schedule)

    def _refusal(self, peer: Any) -> str | None:
        """Why this connection may no longer act, or None."""
        state = self._tokens.get(peer.member_id)
        if state is None:
            return None
        token_hash, revoked = state
        if revoked:
            return "Your join token was revoked; ask your facilitator for a new invitation."
        joined_with = getattr(peer, "token_hash", None)
        if joined_with is not None and joined_with != token_hash:
            return "Your join token was replaced by a new one; join again with the new token."
        return None

    def _want_membership(self, room: Room, *, schedule: bool = True) -> None:
        room.membership = True
        if room not in self._dirty:
            self._dirty.append(room)
        if schedule and self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self.flush)

    def _membership_drafts(self, room: Room) -> list[Draft]:
        """Events that bring the log's roster in line with the members table."""
        room.membership = False
        self._refresh_roster(room.state, room.group.id)
        drafts = []
        for record in self.store.members(room.group.id):
            entry = room.state.roster[record.id]
            if record.revoked and not entry.removed:
                if record.id in room.state.hands:
                    drafts.append(Draft("hand.lowered", EVERYONE, {"member_id": record.id}))
                drafts.append(Draft("member.removed", EVERYONE, {"member_id": record.id, "revoked": True}))
            elif entry.removed and not record.revoked:
                drafts.append(Draft("member.reinstated", EVERYONE, {"member_id": record.id}))
        return drafts

    # -- joining and leaving ---------------------------------------------------

    def join(self, peer: Any, member: MemberRecord, hello: Hello) -> Room:
        """Welcome ``peer`` and register it; it next runs :meth:`catch_up`
        (a guest's replay, paced like a member's, starts at its session's start)."""
        self.check_members()
        room = self.room(member.group_id)
        self._refresh_roster(room.state, member.group_id)
        if room.membership:
            # Log a revocation or reinstatement before the welcome, so the
            # joiner's roster already says it (a reissued member is back in).
            if self._flush_handle is not None:
                self._flush_handle.cancel()
            self.flush()
        if peer.role == GUEST:
            self._arrive(room, peer)
        head = room.head
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
                    member=_member_wire(peer),
                    group={"id": room.group.id, "name": room.group.name},
                    roster=[] if peer.role == GUEST else room.roster_wire(),
                    limits=self.limits,
                    head_seq=head,
                    mode=mode,
                    replay_from=start,
                )
            )
        )
        peer.live = False
        peer.cursor = start
        room.peers.append(peer)
        if first_peer:
            self._presence(room, peer, "online", skip=peer)
            if away is not None:
                log.info("%s (%s) reconnected to %s", peer.name, peer.role, room.group.name)
            else:
                log.info("%s (%s) joined %s", peer.name, peer.role, room.group.name)
        return room

    def _arrive(self, room: Room, peer: Any) -> None:
        """Log that a guest is now in the live session (once per session), before
        their replay: what they see of it is counted from this event."""
        drafts = arrival(room.state, peer.member_id)
        if not drafts:
            return
        now, first = self.clock(), room.head + 1
        # Logged by the relay itself (actor 0), not by a command of the guest.
        events = [Event(first + i, d.type, now, 0, "", d.audience, d.subject, _substitute(d.data, first)) for i, d in enumerate(drafts)]
        self.store.commit([(room.group.id, e) for e in events], [], [])
        for event in events:
            room.state.apply(event)
        self._fan_out(room, events)

    async def catch_up(self, peer: Any) -> None:
        """Replay what ``peer`` missed at the pace it reads, then send ``synced`` and go live.

        Frames go out a chunk at a time and the next chunk waits until the
        socket has drained (``peer.drain()``), so a joiner that never reads
        pins one chunk, not the group's history. Events logged meanwhile are
        read from the log like the rest (live fan-out skips a peer until it is
        live); the last check of the head and going live happen in one step of
        the loop, so no event is lost or repeated.
        """
        room = self.rooms[peer.group_id]
        batch: list[_Logged] = []  # events read from the store, not all sent yet
        while not peer.live and not peer.closing:
            if peer.cursor > room.head:
                self._go_live(room, peer)
                return
            tail = room.tail
            if tail and tail[0].seq <= peer.cursor:
                self._replay_chunk(room, peer, tail, REPLAY_CHUNK_BYTES)
            else:
                if not batch or batch[-1].seq < peer.cursor:
                    # Older than the room's tail: read from the store in a worker
                    # thread (on a connection of its own), never on the event loop.
                    batch = await asyncio.to_thread(self._read_log, room.group.id, peer.cursor - 1)
                    if peer.live or peer.closing:
                        return
                self._replay_chunk(room, peer, batch, REPLAY_CHUNK_BYTES)
            await peer.drain()

    def _read_log(self, group_id: int, after: int) -> list[_Logged]:
        """Up to ``REPLAY_CHUNK_EVENTS`` stored events after ``after``, encoded (in a worker thread)."""
        return [
            _Logged(e.seq, e.audience, e.subject, encode(e.to_wire()), e.type)
            for e in self.store.read_events_after(group_id, after, REPLAY_CHUNK_EVENTS)
        ]

    def _go_live(self, room: Room, peer: Any) -> None:
        peer.write(encode(synced_frame(room.head)))
        peer.live = True

    def _replay_chunk(self, room: Room, peer: Any, logged, max_bytes: int) -> None:
        """Write the visible events of ``logged`` from ``peer.cursor`` on, up to about ``max_bytes``."""
        role, member_id, cursor = peer.role, peer.member_id, peer.cursor
        visits = room.state.visits.get(member_id, ())
        written = 0
        for item in logged:
            if item.seq < cursor:
                continue
            cursor = item.seq + 1
            if sees(role, member_id, item.audience, item.subject, item.seq, item.type, visits):
                peer.write(item.frame)
                written += len(item.frame)
                if written >= max_bytes:
                    break
        peer.cursor = cursor

    def leave(self, peer: Any) -> None:
        """Forget a closed peer; the member goes offline with its last connection."""
        room = self.rooms.get(peer.group_id)
        if room is None or peer not in room.peers:
            return
        room.peers.remove(peer)  # its queued commands still run: a retry is answered from the result
        left = room.online.get(peer.member_id, 1) - 1
        if left > 0:
            room.online[peer.member_id] = left
            return
        room.online.pop(peer.member_id, None)
        self._known.pop(peer.member_id, None)  # reloaded from the store if needed again
        entry = room.state.roster.get(peer.member_id)
        if getattr(peer, "lost", False) and self.presence_grace > 0 and not (entry is not None and entry.removed):
            # The link broke (no close from the member): they are probably coming back.
            if entry is not None:
                entry.status = "reconnecting"
            self._presence(room, peer, "reconnecting")
            room.away[peer.member_id] = asyncio.get_running_loop().call_later(self.presence_grace, self._gone, room, peer)
            log.info("%s (%s) lost the connection to %s", peer.name, peer.role, room.group.name)
            return
        self._gone(room, peer)

    def _gone(self, room: Room, peer: Any) -> None:
        """The member left (or did not come back in time): say so once."""
        room.away.pop(peer.member_id, None)
        if room.online.get(peer.member_id):
            return
        entry = room.state.roster.get(peer.member_id)
        if entry is not None:
            entry.status = "offline"
        self._presence(room, peer, "offline")
        log.info("%s (%s) left %s", peer.name, peer.role, room.group.name)

    def _presence(self, room: Room, subject: Any, status: PresenceStatus, skip: Any = None) -> None:
        frame = encode(presence_frame(_member_wire(subject), status))
        for p in room.peers:
            if p is not skip and p.role != GUEST:
                p.write(frame)

    # -- commands --------------------------------------------------------------

    def submit(self, peer: Any, command: Command) -> None:
        """Queue a validated command; it is decided and committed on the next loop turn."""
        room = self.rooms[peer.group_id]
        if not room.pending:
            self._dirty.append(room)
        room.pending.append((peer, command))
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Decide, commit and deliver every queued command (one transaction)."""
        self._flush_handle = None
        self.check_members(schedule=False)
        rooms, self._dirty = self._dirty, []
        if not rooms:
            return
        now = self.clock()
        outcomes: list[_Outcome] = []
        to_store: list[tuple[int, Event]] = []
        results: list[tuple[int, str, int, CommandResult]] = []
        revoked: list[int] = []
        usage: dict[int, int] = {}  # member_id -> bytes this batch stores for them
        seen: dict[tuple[int, str], CommandResult] = {}
        for room in rooms:
            pending, room.pending = room.pending, []
            gid = room.group.id
            if room.membership:
                events = self._sequence_server(room, self._membership_drafts(room), now)
                for event in events:
                    room.state.apply(event)
                    to_store.append((gid, event))
                if events:
                    outcomes.append(_Outcome(room, None, "", None, events))
            for peer, command in pending:
                refusal = self._refusal(peer)
                if refusal is not None:
                    # Not stored: the member may be given a new token and retry.
                    peer.write(encode(error_frame(ProtocolError(ErrorCode.UNAUTHORIZED, refusal, command.id))))
                    continue
                key = (peer.member_id, command.id)
                known = self._known.get(peer.member_id)
                if known is None:
                    known = self._known[peer.member_id] = self.store.command_ids(peer.member_id)
                prior = seen.get(key)
                if prior is None and command.id in known:
                    prior = self.store.command_result(*key)
                if prior is not None:
                    outcomes.append(_Outcome(room, peer, command.id, prior, []))
                    continue
                try:
                    actor = self._actors.get(peer.member_id)
                    if actor is None:
                        actor = self._actors[peer.member_id] = Actor(peer.member_id, peer.name, peer.role)
                    drafts = decide(room.state, actor, command, now)
                    events = self._sequence(room, peer, drafts, now)
                    # Asking for help is never refused for want of storage.
                    size = 0 if command.kind == "urgent.raise" else self._charge(peer.member_id, events, now, usage, peer.role)
                except ProtocolError as err:
                    if err.code == ErrorCode.QUOTA_EXCEEDED:
                        # Not remembered against the id: the same command may fit later.
                        peer.write(encode(error_frame(err.with_id(command.id))))
                        continue
                    result = CommandResult(None, None, err.code, err.message)
                    events = []
                except Exception:
                    log.exception("deciding %s for %s failed", command.kind, peer.name)
                    outcomes.append(_Outcome(room, peer, command.id, None, []))
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
                outcomes.append(_Outcome(room, peer, command.id, result, events))
        try:
            self.store.commit(to_store, results, revoked, usage.items())
            for member_id, size in usage.items():
                self.quota.add(member_id, size, now)
        except Exception:
            log.exception("saving %d events failed; nothing was applied", len(to_store))
            for room in rooms:
                self._reload(room)
            for outcome in outcomes:
                outcome.result, outcome.events = None, []
            revoked = []
        for outcome in outcomes:
            self._deliver(outcome)
        for member_id in revoked:
            self._close_member(member_id)

    def _sequence(self, room: Room, peer: Any, drafts: list[Draft], now: float) -> list[Event]:
        first = room.head + 1
        return [
            Event(first + i, d.type, now, peer.member_id, peer.name, d.audience, d.subject, _substitute(d.data, first))
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
        if outcome.peer is None:
            return  # the relay's own events: nobody waits for an answer
        if result is None:
            err = ProtocolError(ErrorCode.INTERNAL, "The server could not save that; nothing was applied, so try again.")
            outcome.peer.write(encode(error_frame(err.with_id(outcome.command_id))))
        elif result.error_code is not None:
            err = ProtocolError(result.error_code, result.error_message or "That was refused.", outcome.command_id)
            outcome.peer.write(encode(error_frame(err)))
        else:
            outcome.peer.write(encode(ack_frame(outcome.command_id, result.last_seq)))

    def _fan_out(self, room: Room, events: list[Event]) -> None:
        """Log ``events`` in the room's tail and write each to every live peer the one rule admits."""
        peers = room.peers
        for event in events:
            frame = encode(event.to_wire())
            audience, subject = event.audience, event.subject
            room.tail.append(_Logged(event.seq, audience, subject, frame, event.type))
            visits = room.state.visits
            for p in peers:
                if p.live and sees(p.role, p.member_id, audience, subject, event.seq, event.type, visits.get(p.member_id, ())):
                    p.write(frame)
        if self.watcher is not None and events:
            self.watcher(room, events)

    def record(self, room: Room, drafts: list[Draft]) -> list[Event]:
        """Log events the relay itself decided (actor 0), such as an email sent: stored, then delivered."""
        if self._dirty:  # anything queued is decided first
            if self._flush_handle is not None:
                self._flush_handle.cancel()
            self.flush()
        events = self._sequence_server(room, drafts, self.clock())
        self.store.commit([(room.group.id, e) for e in events], [], [])
        for event in events:
            room.state.apply(event)
        self._fan_out(room, events)
        return events

    def facilitators_online(self, room: Room) -> bool:
        """Whether a facilitator of the room has a live connection."""
        return any(p.role == FACILITATOR and not p.closing for p in room.peers)

    def _reload(self, room: Room) -> None:
        fresh = self._load(room.group.id)
        room.state, room.tail = fresh.state, fresh.tail
        room.membership = True
        for member_id in room.online:
            room.state.update_member({"id": member_id}, status="online")

    def _close_member(self, member_id: int) -> None:
        for room in self.rooms.values():
            for p in list(room.peers):
                if p.member_id == member_id:
                    p.close(CloseCode.REMOVED, "You were removed from this group; ask your facilitator.")

    def close_revoked(self) -> None:
        """Close the connections of members revoked since they joined (e.g. by the CLI).

        Called once a second by the edge's housekeeping, so a revocation is
        logged and shown even in a room where nobody sends anything;
        :meth:`flush` and :meth:`join` check before acting anyway.
        """
        self.check_members()

    def close(self) -> None:
        """Run whatever is still queued, so every accepted command is answered."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self.flush()
