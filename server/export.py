"""A member's own copy of a group's log: what they may see, and nothing else.

The export honours the same audience rule as live fan-out and replay
(:func:`protocol.roles.visible_to`), plus the guest rule of the hub: a guest
sees what happened inside sessions only, never the group's life between them.
It is the record a member may ask for (their right of access); a facilitator's
export is the whole log.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from typing import Any

from protocol.events import Event
from protocol.roles import GUEST, visible_to

from .store import GroupRecord, MemberRecord

__all__ = ["visible_events", "member_export"]


def visible_events(events: Iterable[Event], role: str, member_id: int) -> Iterator[Event]:
    """The events, in order, that a member with ``role`` and ``member_id`` may see."""
    in_session = False
    for event in events:
        if event.type == "session.started":
            in_session = True
        between = not in_session
        if event.type == "session.ended":
            in_session = False
        if role == GUEST and between:
            continue
        if visible_to(event.audience, event.subject, role, member_id):
            yield event


def member_export(group: GroupRecord, member: MemberRecord, events: Iterable[Event], now: float) -> dict[str, Any]:
    """The export document for one member (JSON-ready)."""
    kept = []
    for event in visible_events(events, member.role, member.id):
        wire = event.to_wire()
        wire.pop("kind")
        wire["time"] = _dt.datetime.fromtimestamp(event.ts, _dt.timezone.utc).isoformat(timespec="seconds")
        kept.append(wire)
    return {
        "format": "iop-tui member export 1",
        "exported_at": _dt.datetime.fromtimestamp(now, _dt.timezone.utc).isoformat(timespec="seconds"),
        "group": {"id": group.id, "name": group.name},
        "member": {"id": member.id, "name": member.name, "role": member.role, "revoked": member.revoked},
        "events": kept,
    }
