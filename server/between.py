"""Attendance stretches and the family session's waiting room, for :class:`server.hub.Hub`.

Part of the hub (a mixin over its rooms and store), fed by presence and by
the events the hub delivers:

- **Attendance.** While a session runs, each member's presence is a
  *stretch* in the store (``attendance`` table) and in the room's state
  (``GroupState.stretches``): opened when they connect (or when the session
  starts with them connected, or when a guest is let in), closed when they
  leave — at the moment the link broke, for a member who did not come back
  within the presence grace (a return within it keeps one stretch). Ending
  the session closes every stretch; :func:`server.rules.attendance_rows`
  turns them into the ``attendance.recorded`` event (facilitators only).
- **Waiting room.** When a facilitator lets a guest in (``guest.arrived``
  with ``admitted``), the guest's connections replay the session from its
  start — the shared material, then everything from their arrival — before
  going live, exactly as a guest who joins mid-session does. Guests read the
  people present by first name only (:func:`protocol.family.guest_roster`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgpack

from protocol.attendance import PRESENCE_GRACE, Stretch
from protocol.codec import encode
from protocol.events import Event
from protocol.family import for_guest, guest_roster, guest_wire
from protocol.messages import attendance_frame, presence_frame
from protocol.roles import FACILITATORS, GUEST, visible_to

from .room import Room, member_wire

from .store import Store

if TYPE_CHECKING:
    from .writer import Writer

log = logging.getLogger("iop.server")

__all__ = ["Between", "guest_frame"]


def _logged_if_failed(future: concurrent.futures.Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        log.warning("an attendance stretch could not be saved (%s); the live session's attendance stays in the room and in its record at the end", exc)


def guest_frame(frame: bytes) -> bytes:
    """An encoded event as a guest receives it: people by first name (:func:`protocol.family.for_guest`)."""
    return encode(for_guest(msgpack.unpackb(frame, raw=False, strict_map_key=False)))


class Between:
    """Attendance and admissions for :class:`server.hub.Hub`."""

    rooms: dict[int, Room]
    store: Store
    clock: Any
    writer: Writer | None

    if TYPE_CHECKING:

        async def catch_up(self, peer: Any) -> None: ...

    def _present(self, room: Room, member_id: int, role: str) -> bool:
        """Whether a connected member counts as present in the live session (a guest once let in)."""
        return room.state.session is not None and (role != GUEST or room.state.visited(member_id))

    def _attendance_write(self, write: Callable[..., None], *args: Any) -> None:
        """Write a stretch off the loop: on the writer, after the batches and writes before it
        (issue 16, the tail: a join never waits for another program's write lock or a
        round trip). The live session's attendance is the room's state; the table is for a
        restart, another node and the CLI's export, so a failed write is logged, not fatal."""
        if self.writer is None:
            write(self.store, *args)
        else:
            self.writer.submit(write, *args).add_done_callback(_logged_if_failed)

    def attend_join(self, room: Room, member_id: int, role: str) -> None:
        """A member's first connection: their stretch opens (or a broken link's continues)."""
        lost = room.lost_at.pop(member_id, None)
        session = room.state.session
        if session is None or not self._present(room, member_id, role):
            return
        if lost is not None and any(s.member_id == member_id and s.left is None for s in room.state.stretches):
            return  # back within the grace: the same stretch goes on
        self._open(room, member_id, self.clock())
        self.tell_attendance(room)

    def tell_attendance(self, room: Room, only: Any = None) -> None:
        """Send the live session's attendance so far to its facilitators (or to ``only``)."""
        from .rules import attendance_rows

        session = room.state.session
        if session is None:
            return
        frame = encode(attendance_frame(session.session_id, attendance_rows(room.state, self.clock())))
        for p in [only] if only is not None else room.peers:
            if visible_to(FACILITATORS, None, p.role, p.member_id):  # the one audience rule: facilitators only
                p.write(frame)

    def attend_leave(self, room: Room, member_id: int) -> None:
        """A member left (or did not come back in time): their stretch closes when the link went."""
        at = room.lost_at.pop(member_id, None)
        session = room.state.session
        if session is None:
            return
        left = self.clock() if at is None else at
        state = room.state
        if not any(s.member_id == member_id and s.left is None for s in state.stretches):
            return
        state.stretches = [Stretch(s.member_id, s.joined, left) if s.member_id == member_id and s.left is None else s for s in state.stretches]
        self._attendance_write(Store.close_stretch, room.group.id, session.session_id, member_id, left)
        self.tell_attendance(room)

    def _open(self, room: Room, member_id: int, at: float) -> None:
        session = room.state.session
        assert session is not None
        state = room.state
        mine = [i for i, s in enumerate(state.stretches) if s.member_id == member_id]
        last = state.stretches[mine[-1]] if mine else None
        if last is not None and (last.left is None or at - last.left <= PRESENCE_GRACE):
            # back within the grace (or never gone): the same stretch goes on, so a
            # member who reconnects again and again adds no rows
            if last.left is not None:
                state.stretches[mine[-1]] = Stretch(member_id, last.joined)
                self._attendance_write(Store.reopen_stretch, room.group.id, session.session_id, member_id)
            return
        state.stretches.append(Stretch(member_id, at))
        self._attendance_write(Store.open_stretch, room.group.id, session.session_id, member_id, at)

    def before_fan_out(self, room: Room, events: list[Event]) -> None:
        """Act on what these events change for attendance and guests, before anyone reads them."""
        told = False
        for event in events:
            if event.type == "session.started":
                online = {p.member_id: p.role for p in room.peers}
                for member_id, role in sorted(online.items()):
                    if self._present(room, member_id, role):
                        self._open(room, member_id, event.ts)
                told = True
            elif event.type == "session.ended":
                self._attendance_write(Store.close_stretch, room.group.id, int(event.data.get("session_id", 0)), None, event.ts)
                room.lost_at.clear()
            elif event.type == "guest.arrived" and event.data.get("admitted"):
                guest_id = int(event.data["member_id"])
                peers = [p for p in room.peers if p.member_id == guest_id and p.role == GUEST and not p.closing]
                if peers and room.state.session is not None:
                    self._open(room, guest_id, event.ts)
                    told = True
                for peer in peers:
                    self._readmit(room, peer)
        if told:
            self.tell_attendance(room)

    def _readmit(self, room: Room, peer: Any) -> None:
        """Replay the live session to a guest just let in, from its start, then go live again."""
        session = room.state.session
        if session is None:
            return
        for entry in guest_roster(room.roster_wire()):  # who is present, by first name
            if entry["id"] != peer.member_id:
                peer.write(encode(presence_frame({k: entry[k] for k in ("id", "name", "role")}, "online")))
        was_live = peer.live
        peer.live = False
        peer.cursor = session.session_id
        if was_live:
            tasks: set[asyncio.Task[None]] = self.__dict__.setdefault("_readmissions", set())
            task = asyncio.get_running_loop().create_task(self.catch_up(peer))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        # (a peer still in its first replay simply reads on from the session's start)

    def guest_presence(self, room: Room, subject: Any, status: str) -> None:
        """Tell the guests in the live session who comes and goes: first names only."""
        if subject.role == GUEST and not room.state.visited(subject.member_id):
            return  # a guest still in the waiting room is not among those present
        frame = encode(presence_frame(guest_wire(member_wire(subject)), status))  # type: ignore[arg-type]
        for p in room.peers:
            if p.role == GUEST and p is not subject and room.state.visited(p.member_id):
                p.write(frame)
