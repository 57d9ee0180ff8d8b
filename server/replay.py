"""Replay: a joining connection reads the log from its cursor to the head, at its own pace.

Part of :class:`server.hub.Hub` (a mixin over the hub's rooms and store).
:meth:`Replay.catch_up` writes about :data:`REPLAY_CHUNK_BYTES` of visible
events, then waits for the connection to drain before the next chunk, so a
joiner that never reads pins one chunk, not the group's history. Events the
room still keeps encoded (its tail) are read from memory; older ones from the
store, in a worker thread. The last check of the head, ``synced`` and going
live happen in one step of the event loop: no event falls between replay and
live fan-out, and none comes twice.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from protocol.codec import encode
from protocol.messages import synced_frame
from protocol.roles import GUEST, sees

from .between import guest_frame
from .room import Logged, Room

if TYPE_CHECKING:
    from .store import Store

__all__ = ["REPLAY_CHUNK_BYTES", "REPLAY_CHUNK_EVENTS", "Replay"]

#: A member's replay writes about this many bytes, then waits for the socket to drain.
REPLAY_CHUNK_BYTES = 64 * 1024
#: Events read from the store per replay step.
REPLAY_CHUNK_EVENTS = 500


class Replay:
    """The paced catch-up of :class:`server.hub.Hub`."""

    rooms: dict[int, Room]
    store: Store

    def shown_head(self, room: Room) -> int:
        """The head a replay may reach: durable seqs only (the hub's, with a commit in flight)."""
        return room.head

    async def catch_up(self, peer: Any) -> None:
        """Replay what ``peer`` missed at the pace it reads, then send ``synced`` and go live.

        Frames go out a chunk at a time and the next chunk waits until the
        socket has drained (``peer.drain()``), so a joiner that never reads
        pins one chunk, not the group's history. Events logged meanwhile are
        read from the log like the rest (live fan-out skips a peer until it is
        live); the last check of the head and going live happen in one step of
        the loop, so no event is lost or repeated.
        """
        room = self.rooms.get(peer.group_id)
        if room is None or peer.closing:
            return  # refused as it joined (the group moved to another node): it is closing with 4012
        batch: list[Logged] = []  # events read from the store, not all sent yet
        while not peer.live and not peer.closing:
            if peer.cursor > self.shown_head(room):  # durable seqs only (issue 16: a batch may be in flight)
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

    def _read_log(self, group_id: int, after: int) -> list[Logged]:
        """Up to ``REPLAY_CHUNK_EVENTS`` stored events after ``after``, encoded (in a worker thread)."""
        return [
            Logged(e.seq, e.audience, e.subject, encode(e.to_wire()), e.type)
            for e in self.store.read_events_after(group_id, after, REPLAY_CHUNK_EVENTS)
        ]

    def _go_live(self, room: Room, peer: Any) -> None:
        peer.write(encode(synced_frame(self.shown_head(room))))
        peer.live = True

    def _replay_chunk(self, room: Room, peer: Any, logged, max_bytes: int) -> None:
        """Write the visible events of ``logged`` from ``peer.cursor`` on, up to about ``max_bytes``."""
        role, member_id, cursor = peer.role, peer.member_id, peer.cursor
        visits = room.state.visits.get(member_id, ())
        stays = room.state.stays.get(member_id, ())
        written = 0
        for item in logged:
            if item.seq < cursor:
                continue
            cursor = item.seq + 1
            if sees(role, member_id, item.audience, item.subject, item.seq, item.type, visits, stays):
                frame = guest_frame(item.frame) if role == GUEST else item.frame  # first names only
                peer.write(frame)
                written += len(frame)
                if written >= max_bytes:
                    break
        peer.cursor = cursor
