"""A member's own copy of a group's log: what they may see, and nothing else.

The export honours the one rule of live fan-out and replay
(:func:`protocol.roles.sees`): a guest's export holds the sessions they
attended, from their arrival (and each session's shared material), never the
group's life between sessions nor any other session.
It is the record a member may ask for (their right of access); a facilitator's
export is the whole log.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any

from protocol.events import Event
from protocol.family import for_guest
from protocol.roles import GUEST
from protocol.state import visible_events

from .store import GroupRecord, MemberRecord

__all__ = ["visible_events", "member_export"]


def member_export(group: GroupRecord, member: MemberRecord, events: Iterable[Event], now: float) -> dict[str, Any]:
    """The export document for one member (JSON-ready)."""
    kept = []
    for event in visible_events(events, member.role, member.id):
        wire = for_guest(event.to_wire()) if member.role == GUEST else event.to_wire()  # guests: first names only
        wire.pop("kind")
        wire["time"] = _dt.datetime.fromtimestamp(event.ts, _dt.UTC).isoformat(timespec="seconds")
        kept.append(wire)
    return {
        "format": "iop-tui member export 1",
        "exported_at": _dt.datetime.fromtimestamp(now, _dt.UTC).isoformat(timespec="seconds"),
        "group": {"id": group.id, "name": group.name},
        "member": {"id": member.id, "name": member.name, "role": member.role, "revoked": member.revoked},
        "events": kept,
    }
