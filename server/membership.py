"""Membership: revocations and new tokens committed by another process, acted on at once.

Part of :class:`server.hub.Hub` (a mixin over the hub's rooms and store). The
``iop-server`` CLI revokes members and issues new tokens in its own process;
the store's ``data_version`` says when it committed. Every flush and every
join checks it first, so no command is decided and no event is sent to a
member after their revocation was committed: their connections are closed
(4001), and each loaded room logs ``member.removed`` (or ``member.reinstated``)
on its next flush, so every reader's fold agrees with the members table.
A member removed by a facilitator is closed with 4003.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from protocol.errors import CloseCode
from protocol.events import Draft
from protocol.roles import EVERYONE

from .room import Room

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Membership"]


class Membership:
    """Revocations, new tokens and removals for :class:`server.hub.Hub`."""

    rooms: dict[int, Room]
    store: Store
    _data_version: int
    _tokens: dict[int, tuple[str, bool]]
    _dirty: list[Room]
    _flush_handle: asyncio.Handle | None

    if TYPE_CHECKING:

        def flush(self) -> None: ...

        def _reread_roster(self, room: Room) -> None: ...

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
        self._reread_roster(room)
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

    def _close_member(self, member_id: int) -> None:
        for room in self.rooms.values():
            # a guest's invitation ends with their family session (protocol/family.py)
            reason = (
                "The family session has ended, and your invitation with it; thank you for coming."
                if member_id in room.state.guest_invites else "You were removed from this group; ask your facilitator."
            )
            for p in list(room.peers):
                if p.member_id == member_id:
                    p.close(CloseCode.REMOVED, reason)

    def close_revoked(self) -> None:
        """Close the connections of members revoked since they joined (e.g. by the CLI).

        Called once a second by the edge's housekeeping, so a revocation is
        logged and shown even in a room where nobody sends anything;
        :meth:`flush` and :meth:`join` check before acting anyway.
        """
        self.check_members()
