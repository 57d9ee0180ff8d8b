"""Presence: who is online, reconnecting or gone, told to the members (never to a guest).

Part of :class:`server.hub.Hub` (a mixin over the hub's rooms). Presence is
not part of the log: it is said live, once per change, and folded into the
roster a welcome carries. A member whose link broke (rather than who closed)
shows as "reconnecting" for :data:`PRESENCE_GRACE` seconds before the others
are told they left.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from protocol.codec import encode
from protocol.messages import PresenceStatus, presence_frame
from protocol.attendance import PRESENCE_GRACE as _ATTENDANCE_GRACE
from protocol.roles import GUEST

from .room import Room, member_wire

__all__ = ["PRESENCE_GRACE", "Presence"]

log = logging.getLogger("iop.server")

#: Seconds a member whose connection was lost (not closed) shows as
#: "reconnecting" before the others are told they left: a blip on a bad link
#: should not read as someone walking out of the group. Defined with the
#: attendance rule that merges such returns (protocol.attendance).
PRESENCE_GRACE = _ATTENDANCE_GRACE


class Presence:
    """Leaving, and saying who comes and goes, for :class:`server.hub.Hub`."""

    rooms: dict[int, Room]
    presence_grace: float
    clock: Any
    _known: dict[int, set[str]]
    _reading_ahead: dict[int, int]

    if TYPE_CHECKING:

        def attend_leave(self, room: Room, member_id: int) -> None: ...

        def guest_presence(self, room: Room, subject: Any, status: str) -> None: ...

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
        if peer.member_id not in self._reading_ahead:  # else dropped once that read is done (Hub._read_ahead)
            self._known.pop(peer.member_id, None)  # reloaded from the store if needed again
        entry = room.state.roster.get(peer.member_id)
        if getattr(peer, "lost", False) and self.presence_grace > 0 and not (entry is not None and entry.removed):
            # The link broke (no close from the member): they are probably coming back.
            if entry is not None:
                entry.status = "reconnecting"
            room.lost_at[peer.member_id] = self.clock()  # attendance counts to the break if they do not return
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
        self.attend_leave(room, peer.member_id)
        self._presence(room, peer, "offline")
        log.info("%s (%s) left %s", peer.name, peer.role, room.group.name)

    def _presence(self, room: Room, subject: Any, status: PresenceStatus, skip: Any = None) -> None:
        frame = encode(presence_frame(member_wire(subject), status))
        for p in room.peers:
            if p is not skip and p.role != GUEST:
                p.write(frame)
        self.guest_presence(room, subject, status)  # guests: first names, of those present
