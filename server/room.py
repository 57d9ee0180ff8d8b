"""The hub's rooms: one per group, its folded state, its connections and its recent events.

A :class:`Room` is what every part of the hub works on (:mod:`server.hub`,
:mod:`server.replay`, :mod:`server.presence`, :mod:`server.membership`).
:class:`Rooms`, part of :class:`server.hub.Hub`, loads a group's room from the
store on first use (its state restored from the group's last snapshot,
server/snapshot.py, and folded from every stored event after it; its roster from
the members table) and keeps the last :data:`TAIL_EVENTS` events encoded, so a
short resume never reads the store. A room quiet for long enough
(:meth:`server.hub.Hub.idle_rooms`) is unloaded (:meth:`Rooms.unload`: a new
snapshot first, when one is due) and loaded again by the next member.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from protocol.codec import encode
from protocol.events import Event
from protocol.messages import Command
from protocol.state import GroupState

from .snapshot import FOLD_VERSION, SNAPSHOT_EVENTS, SnapshotError, dump, restore
from .store import GroupRecord, MemberRecord, Snapshot, first_line

if TYPE_CHECKING:
    import concurrent.futures

    from .store import Store
    from .writer import Writer

log = logging.getLogger("iop.server")

__all__ = ["FOLD_SLICE", "FOLD_TURN", "READ_CHUNK", "TAIL_EVENTS", "Logged", "Room", "Rooms", "member_wire"]

#: How many recent encoded events each room keeps for fast resumes.
TAIL_EVENTS = 256

#: Events :meth:`Rooms.load_room` folds at once (about 3 ms here), and reads first.
FOLD_SLICE = 256
#: Seconds :meth:`Rooms.load_room` folds in one turn of the loop, at most (and one slice more).
FOLD_TURN = 0.005
#: Events read at once past the first slice, on PostgreSQL (on a thread, from the reader pool).
READ_CHUNK = 4096


class Logged(NamedTuple):
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

    def __init__(self, group: GroupRecord, state: GroupState, tail: deque[Logged]) -> None:
        self.group = group
        self.state = state
        self.tail = tail
        self.peers: list[Any] = []
        self.online: dict[int, int] = {}  # member_id -> number of live peers
        self.away: dict[int, asyncio.TimerHandle] = {}  # lost members within their grace period
        self.pending: list[tuple[Any, Command]] = []
        self.membership = True  # compare the roster with the members table on the next flush
        self.jobs: list[Any] = []  # events the relay decides itself, for the next batch (Hub.log_soon)
        #: Guests waiting for their arrival to be stored (Hub.arrive): None once it is, else how to close them.
        self.arriving: list[asyncio.Future[Any]] = []
        #: The store's data_version when the roster, settings and invitations were last read
        #: (:meth:`Rooms.refresh_if_changed`); None: read them at the next join.
        self.roster_read_at: int | None = None
        self.lost_at: dict[int, float] = {}  # member_id -> when their link broke (attendance)
        #: The seq of the group's snapshot the room was loaded from (0: none), or last written.
        self.snapshot_seq = 0

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


class _Folding:
    """A room being folded from its log: what :meth:`Rooms._load` does in one step and
    :meth:`Rooms.load_room` in slices, from the group's ``snapshot`` when there is one
    (server/snapshot.py): then only the events after :attr:`after` are folded. Its roster,
    settings and invitations are read first, at the data_version the hub knew then (so a
    change meanwhile is read again at the join)."""

    def __init__(self, rooms: Rooms, group_id: int, start: Restored | None) -> None:
        group = rooms.store.group(group_id)
        if group is None:
            raise LookupError(f"no group {group_id}")
        self.rooms, self.group = rooms, group
        self.read_at = rooms._data_version
        self.state, self.after, self.last_ts = (GroupState(), 0, 0.0) if start is None else start
        rooms._refresh_roster(self.state, group_id)
        self.recent: deque[Event] = deque(maxlen=TAIL_EVENTS)  # the room's tail, once encoded

    def fold(self, events: Iterable[Event]) -> None:
        state, recent = self.state, self.recent
        for event in events:
            state.apply(event)
            recent.append(event)  # encoded once the fold is done: only the last TAIL_EVENTS are kept
        if recent:
            self.last_ts = recent[-1].ts

    def room(self, *, first: bool) -> Room:
        tail = deque((Logged(e.seq, e.audience, e.subject, encode(e.to_wire()), e.type) for e in self.recent), maxlen=TAIL_EVENTS)
        state, store, gid = self.state, self.rooms.store, self.group.id
        if state.session is not None:  # attendance of the session still running (server/between.py)
            if first:
                # Stretches left open by a relay that stopped end with its last logged event:
                # nobody is known to be present since; who reconnects opens a new stretch.
                store.close_stretch(gid, state.session.session_id, None, self.last_ts)
            state.stretches = store.stretches(gid, state.session.session_id)
        room = Room(self.group, state, tail)
        room.roster_read_at, room.snapshot_seq = self.read_at, self.after
        return room


class Restored(NamedTuple):
    """A group's state restored from its snapshot (server/snapshot.py), folded up to ``after``,
    the time of event ``after`` being ``last_ts``."""

    state: GroupState
    after: int
    last_ts: float


def restored(group_id: int, snapshot: Snapshot | None) -> Restored | None:
    """The group's snapshot restored, or None (none, or one that is not used: logged). Pickle holds
    the interpreter while it runs, so the sliced load calls this on a worker thread, where the loop
    gets its turn between the snapshot's pieces."""
    if snapshot is None:
        return None
    try:
        state = restore(snapshot.data, group_id)
        if state.head_seq != snapshot.seq:
            raise SnapshotError(f"it holds seq {state.head_seq}, not {snapshot.seq}")
    except SnapshotError as exc:
        log.warning("group %s: its snapshot at seq %d was not used (%s); its whole log is folded", group_id, snapshot.seq, exc)
        return None
    return Restored(state, snapshot.seq, snapshot.last_ts)


def _save_snapshot(store: Store, group_id: int, seq: int, data: bytes) -> None:
    if store.save_snapshot(group_id, seq, FOLD_VERSION, data):
        log.info("group %d: its state up to seq %d is kept as a snapshot (%d KB)", group_id, seq, len(data) // 1024)


def _snapshot_failed(future: concurrent.futures.Future[None]) -> None:
    exc = future.exception()
    if exc is not None:
        log.warning("a room's snapshot could not be saved (%s); its next load folds its whole log", first_line(exc))


def member_wire(peer: Any) -> dict[str, Any]:
    """A connection's member as the wire names them (welcome, presence)."""
    return {"id": peer.member_id, "name": peer.name, "role": peer.role}


def add_invited(state: GroupState, records: Iterable[MemberRecord]) -> None:
    """Put members the fold has not met yet (invited since) in the state's roster."""
    for record in records:
        if record.id not in state.roster:
            state.update_member({"id": record.id, "name": record.name, "role": record.role})


class Rooms:
    """Loading and refreshing the rooms of :class:`server.hub.Hub`."""

    rooms: dict[int, Room]
    store: Store
    _data_version: int
    # load_room: group id -> the future its joiners await; the groups queued, in order; the task folding them.
    _loading: dict[int, asyncio.Future[None]]
    _to_load: deque[int]
    _loader: asyncio.Task[None] | None
    _turn_began: float  # when the loader's current turn of the loop began (perf_counter)

    if TYPE_CHECKING:
        writer: Writer | None
        _closed: bool

        def _want_membership(self, room: Room, *, schedule: bool = True) -> None: ...

        def drop_group(self, group_id: int, reason: str) -> None: ...

    def room(self, group_id: int) -> Room:
        """The group's room, folded from the store on first use."""
        room = self.rooms.get(group_id)
        if room is None:
            room = self._load(group_id)
            self._put(room)
        return room

    def _put(self, room: Room) -> None:
        """A room just loaded: in, and its roster compared with the members table on its first flush."""
        self.rooms[room.group.id] = room
        self._want_membership(room)

    def _load(self, group_id: int, *, first: bool = True) -> Room:
        """The group's room folded from the store, in one step. ``first``: loaded by this relay for
        the first time, so stretches still open in the table were left by a run that stopped."""
        folding = _Folding(self, group_id, restored(group_id, self.store.snapshot(group_id, FOLD_VERSION)))
        folding.fold(self.store.iter_events(group_id, folding.after))
        return folding.room(first=first)

    async def load_room(self, group_id: int) -> None:
        """Have the group's room loaded, without holding the loop for its whole log: a join awaits
        this first (the edge), so the next :meth:`room` finds it. Loads queue, first come first
        served, and one task folds them, in slices of :data:`FOLD_SLICE` events, yielding a turn
        of the loop whenever it has folded for :data:`FOLD_TURN` seconds: many short logs load in
        one turn, a long one over several, and the members of other groups wait one such turn at
        most, not every log at once (a node claiming a dead node's groups, or many sessions
        starting together, folds hundreds of logs). :class:`LookupError` when there is no such group."""
        if group_id in self.rooms:
            return
        loading = self._loading.get(group_id)
        if loading is None:
            loading = self._loading[group_id] = asyncio.get_running_loop().create_future()
            self._to_load.append(group_id)
            # A loader that has returned is done at once (its done-callbacks run a turn later), and
            # it returns only once the queue is empty, with no turn of the loop in between.
            if self._loader is None or self._loader.done():
                self._loader = asyncio.get_running_loop().create_task(self._load_queued())
        await asyncio.shield(loading)  # a joiner that goes away leaves the load to the others

    async def _load_queued(self) -> None:
        self._turn_began = time.perf_counter()
        while self._to_load:
            group_id = self._to_load.popleft()
            loading = self._loading.get(group_id)
            if loading is None:
                continue
            try:
                self._install(group_id, loading, await self._fold_in_slices(group_id, loading))
            except Exception as exc:
                if self._loading.get(group_id) is loading:
                    del self._loading[group_id]
                if not loading.done():
                    loading.set_exception(exc)
                    loading.exception()  # retrieved: every joiner may have gone
            await self._yield_if_turn_used()

    async def _fold_in_slices(self, group_id: int, loading: asyncio.Future[None]) -> Room | None:
        """The group's room, or None once it is not wanted any more (loaded meanwhile in one step,
        or dropped): then nothing more is read, folded or written."""

        def wanted() -> bool:
            return group_id not in self.rooms and self._loading.get(group_id) is loading

        # A snapshot is read and restored on a worker thread: a long group's is megabytes, and neither
        # the read nor the unpickling of a piece lets go of the interpreter while it runs. On
        # PostgreSQL the first events after it are read there too (one round trip off the loop, not
        # two); on SQLite a group with no snapshot, most of them, costs one local read on the loop.
        from_snapshot: Restored | None = None
        first: list[Event] | None = None
        if self.store.reads_are_round_trips:
            from_snapshot, first = await asyncio.to_thread(self._read_start, group_id)
        elif self.store.snapshot_seq(group_id, FOLD_VERSION) is not None:
            from_snapshot = await asyncio.to_thread(self._read_and_restore, group_id)
        if from_snapshot is not None or first is not None:
            self._turn_began = time.perf_counter()
            if not wanted():
                return None
        folding = _Folding(self, group_id, from_snapshot)
        async for events in self._log_in_chunks(group_id, folding.after, first):
            for start in range(0, len(events), FOLD_SLICE):
                if not wanted():
                    return None
                folding.fold(events[start:start + FOLD_SLICE])
                await self._yield_if_turn_used()
        return folding.room(first=True) if wanted() else None

    def _read_and_restore(self, group_id: int) -> Restored | None:
        return restored(group_id, self.store.read_snapshot(group_id, FOLD_VERSION))

    def _read_start(self, group_id: int) -> tuple[Restored | None, list[Event]]:
        """On a worker thread: the group's snapshot restored, and the first READ_CHUNK events after it."""
        start = self._read_and_restore(group_id)
        return start, self.store.read_events_after(group_id, start.after if start else 0, READ_CHUNK)

    async def _log_in_chunks(self, group_id: int, after: int, first: list[Event] | None) -> AsyncIterator[list[Event]]:
        """The group's log after ``after``, in order, from ``first`` (the first READ_CHUNK events
        after it, read already) when given: on SQLite its first slice read on the loop (a short log,
        most of them, costs what a load in one step did), on PostgreSQL in chunks from the reader
        pool, off the loop."""
        limit = FOLD_SLICE
        if first is not None:
            yield first
            if len(first) < READ_CHUNK:
                return
            after = first[-1].seq
        while True:
            if after and self.store.reads_are_round_trips:
                limit = READ_CHUNK
                events = await asyncio.to_thread(self.store.read_events_after, group_id, after, limit)
                self._turn_began = time.perf_counter()
            else:
                events = self.store.events_after(group_id, after, limit)
            yield events
            if len(events) < limit:
                return
            after = events[-1].seq

    async def _yield_if_turn_used(self) -> None:
        """A turn of the loop for everyone else once the loader has folded for FOLD_TURN in this one."""
        if time.perf_counter() - self._turn_began > FOLD_TURN:
            await asyncio.sleep(0)
            self._turn_began = time.perf_counter()

    def _install(self, group_id: int, loading: asyncio.Future[None], room: Room | None) -> None:
        if self._loading.get(group_id) is loading:
            del self._loading[group_id]
            if room is not None and group_id not in self.rooms:
                self._put(room)
        if not loading.done():
            loading.set_result(None)

    def forget_load(self, group_id: int) -> None:
        """The group was dropped: a load of it under way is not installed (its joiners go on, and
        find the group placed elsewhere or load it again)."""
        loading = self._loading.pop(group_id, None)
        if loading is not None and not loading.done():
            loading.set_result(None)

    def unload(self, group_id: int, reason: str) -> asyncio.Future[bytes] | None:
        """Unload an idle room (:meth:`server.hub.Hub.idle_rooms`; on several nodes, after its group
        was released): when at least SNAPSHOT_EVENTS events were folded since its last snapshot,
        write a new one (server/snapshot.py) so its next load restores it and folds only what
        follows; then drop it (``reason``). The state is pickled on a worker thread (the loop gets
        its turn between its pieces), which is safe because nothing changes a dropped room's
        state, then written on the writer's thread after the batches before it (the next batch
        waits for that write). A snapshot not written costs the next load a longer fold, nothing
        else. Returns the pickling, or None when no snapshot is due."""
        room = self.rooms.get(group_id)
        pickling = None
        if room is not None and room.head - room.snapshot_seq >= SNAPSHOT_EVENTS:
            seq = room.snapshot_seq = room.head
            pickling = asyncio.get_running_loop().run_in_executor(None, dump, room.state, group_id)
            pickling.add_done_callback(lambda f: self._write_snapshot(group_id, seq, f))
        self.drop_group(group_id, reason)
        return pickling

    def _write_snapshot(self, group_id: int, seq: int, pickled: asyncio.Future[bytes]) -> None:
        if self._closed or pickled.cancelled():
            return
        if pickled.exception() is not None:
            log.warning("group %d: its state could not be kept as a snapshot (%s); its next load folds its whole log", group_id, pickled.exception())
        elif self.writer is None:
            _save_snapshot(self.store, group_id, seq, pickled.result())
        else:  # on the writer's thread, even where commits run here: a long group's snapshot is megabytes
            self.writer.hand_off(_save_snapshot, group_id, seq, pickled.result()).add_done_callback(_snapshot_failed)

    def refresh_if_changed(self, room: Room) -> None:
        """Read the room's members, settings and invitations again if another process (the CLI)
        may have changed them since they were last read (run :meth:`check_members` first).

        On PostgreSQL each read is a round trip on the loop, three a join, thousands when an
        owner dies: they are read only when the store's data_version moved, which every change
        to them moves, from any connection (triggers, migrations 6 and 9). SQLite's moves only
        for other connections' commits, and its reads are pages of a local file: read always."""
        if not self.store.reads_are_round_trips or room.roster_read_at != self._data_version:
            self._reread_roster(room)

    def _reread_roster(self, room: Room) -> None:
        """:meth:`_refresh_roster` of a loaded room, noting the data_version it is now up to date with."""
        self._refresh_roster(room.state, room.group.id)
        room.roster_read_at = self._data_version

    def _refresh_roster(self, state: GroupState, group_id: int) -> None:
        """Add members invited since the room was loaded (the CLI may run meanwhile).

        Whether a member is removed is the log's word (``member.removed`` and
        ``member.reinstated`` events); :meth:`_membership_drafts` logs those
        events when the members table says otherwise, so every reader's fold
        agrees with the store.
        """
        add_invited(state, self.store.members(group_id))
        settings = self.store.group_settings(group_id)
        state.alert_mood, state.watch_words = settings.alert_mood, frozenset(settings.watch_words)
        state.guest_invites = self.store.guest_invites(group_id)  # family sessions (protocol/family.py)

    def as_decided(self, room: Room) -> bool:
        """Whether the room's members, settings and invitations in the store are still what its
        state was decided with (a batch refused because data_version moved may then be committed
        again as it is); True also marks them read at the current data_version."""
        gid = room.group.id
        settings = self.store.group_settings(gid)
        same = (
            (settings.alert_mood, frozenset(settings.watch_words)) == (room.state.alert_mood, room.state.watch_words)
            and self.store.guest_invites(gid) == room.state.guest_invites
            and all(record.id in room.state.roster for record in self.store.members(gid))
        )
        if same:
            room.roster_read_at = self._data_version
        return same

    def _reload(self, room: Room) -> None:
        """Fold the room again from the store (a batch was not stored), writing nothing there.

        Who is present in the live session is this relay's word, not the log's: the members
        connected all along keep their stretches as they were (the table may not have every
        write yet: they wait on the writer's thread, server/between.py). Only when the batch not
        stored had started or ended a session are the stretches the table's."""
        before, fresh = room.state, self._load(room.group.id, first=False)
        if before.session is not None and fresh.state.session is not None and fresh.state.session.session_id == before.session.session_id:
            fresh.state.stretches = before.stretches
        room.state, room.tail, room.roster_read_at, room.snapshot_seq = fresh.state, fresh.tail, fresh.roster_read_at, fresh.snapshot_seq
        room.membership = True
        for member_id in room.online:
            room.state.update_member({"id": member_id}, status="online")
