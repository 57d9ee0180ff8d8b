"""Family sessions: which session a guest's invitation is for, and what a guest sees of people.

A guest is invited to one family session (a session of kind
:attr:`~protocol.sessionkind.SessionKind.FAMILY`). The relay's store keeps,
for each invited guest, ``after``: the group's head seq when they were
invited. The invitation is for the family session that was running then, or
else the first family session started after it — so a guest can be invited
before the session exists. Their token works for that session only: they
wait in the waiting room until a facilitator admits them (``guest.admit``),
and their invitation ends with the session (the relay revokes the token).

A guest with no invitation (made before invitations existed) keeps the old
rule: they arrive in any session that is running when they connect.

Guests see the first names of those present only (:func:`first_name`,
:func:`guest_roster`). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .sessionkind import SessionKind

__all__ = ["invited_session", "invitation_ended", "first_name", "guest_roster", "guest_wire", "for_guest"]


def invited_session(sessions: Iterable[Any], after: int) -> Any | None:
    """The family session an invitation made at head seq ``after`` is for, if it has started.

    ``sessions`` are :class:`~protocol.state.SessionInfo` objects, oldest first.
    """
    for s in sessions:
        if getattr(s, "kind", "group") != SessionKind.FAMILY:
            continue
        ended = getattr(s, "ended_seq", None)
        if s.session_id <= after and (ended is None or ended > after):
            return s  # running when they were invited
        if s.session_id > after:
            return s
    return None


def invitation_ended(sessions: Iterable[Any], after: int) -> bool:
    """Whether the family session of an invitation made at ``after`` has ended."""
    found = invited_session(sessions, after)
    return found is not None and getattr(found, "ended_seq", None) is not None


def first_name(name: str) -> str:
    """The first word of a name ("Ana María López" -> "Ana")."""
    parts = name.split()
    return parts[0] if parts else name


def guest_wire(entry: dict[str, Any]) -> dict[str, Any]:
    """A roster or presence entry as a guest may read it: id, first name and role."""
    return {"id": entry["id"], "name": first_name(str(entry.get("name", ""))), "role": entry.get("role", "participant"),
            **({"status": entry["status"]} if "status" in entry else {})}


def guest_roster(roster: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The people present, as a guest may read them (nobody away, nobody removed)."""
    return [guest_wire(e) for e in roster if e.get("status") == "online" and not e.get("removed")]


def for_guest(wire: dict[str, Any]) -> dict[str, Any]:
    """An event as a guest receives it (live, on replay, in an export): people by first name only
    (the actor's name, and the voters of a poll revealed with names)."""
    out = dict(wire)
    if out.get("actor_name"):
        out["actor_name"] = first_name(str(out["actor_name"]))
    data = out.get("data")
    if isinstance(data, dict) and isinstance(data.get("names"), dict):
        out["data"] = {**data, "names": {k: [first_name(str(n)) for n in v] if isinstance(v, list) else v for k, v in data["names"].items()}}
    return out
