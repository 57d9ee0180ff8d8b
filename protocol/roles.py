"""Roles, audiences and the one permission table.

The server enforces these rules; clients only read them to hide what a role
cannot do. Nothing here performs I/O.
"""

from __future__ import annotations

__all__ = [
    "FACILITATOR",
    "PARTICIPANT",
    "GUEST",
    "ROLES",
    "PERMISSIONS",
    "may",
    "ACTIONS",
    "EVERYONE",
    "MEMBERS",
    "FACILITATORS",
    "MEMBER",
    "AUDIENCES",
    "visible_to",
]

FACILITATOR = "facilitator"
PARTICIPANT = "participant"
GUEST = "guest"
ROLES = (FACILITATOR, PARTICIPANT, GUEST)

_F = frozenset({FACILITATOR})
_P = frozenset({PARTICIPANT})
_FP = frozenset({FACILITATOR, PARTICIPANT})
_PG = frozenset({PARTICIPANT, GUEST})
_ALL = frozenset(ROLES)

#: Which role may send which command kind. A kind missing here is refused to all.
PERMISSIONS: dict[str, frozenset[str]] = {
    "session.start": _F,
    "session.end": _F,
    "phase.set": _F,
    "checkin.submit": _P,
    "deck.load": _F,
    "slide.goto": _F,
    "poll.open": _F,
    "poll.vote": _PG,
    "poll.close": _F,
    "poll.reveal": _F,
    "chat.send": _ALL,
    "chat.reply": _F,  # a private line to one member, who answers with chat.send to "facilitators"
    "chat.delete": _F,
    "hand.raise": _PG,
    "hand.lower": _ALL,  # one's own hand; a facilitator may lower anyone's
    "homework.assign": _F,
    "homework.submit": _P,
    "member.mute": _F,
    "member.remove": _F,
}


#: What each command does, in words: the end of "Only facilitators can ..." or
#: "As a guest you cannot ...", so refusals on both sides say the same thing.
ACTIONS: dict[str, str] = {
    "session.start": "start a session",
    "session.end": "end a session",
    "phase.set": "change the session's phase",
    "checkin.submit": "check in",
    "deck.load": "load a slide deck",
    "slide.goto": "move slides",
    "poll.open": "open a poll",
    "poll.vote": "vote in polls",
    "poll.close": "close a poll",
    "poll.reveal": "reveal poll results",
    "chat.send": "send chat messages",
    "chat.reply": "reply privately to one member",
    "chat.delete": "delete chat messages",
    "hand.raise": "raise a hand",
    "hand.lower": "lower a hand",
    "homework.assign": "assign homework",
    "homework.submit": "submit homework",
    "member.mute": "mute members",
    "member.remove": "remove members",
}


def may(role: str, kind: str) -> bool:
    """Whether ``role`` may send a command of ``kind``."""
    return role in PERMISSIONS.get(kind, ())


# Audiences: who may ever receive an event, live, on replay or in an export.
EVERYONE = "everyone"  # every role, guests included (a session's shared content)
MEMBERS = "members"  # facilitators and participants; never guests
FACILITATORS = "facilitators"  # facilitators only
MEMBER = "member"  # one member (the event's subject) and the facilitators
AUDIENCES = (EVERYONE, MEMBERS, FACILITATORS, MEMBER)


def visible_to(audience: str, subject: int | None, role: str, member_id: int) -> bool:
    """Whether an event with ``audience`` (and ``subject`` for MEMBER) may reach a receiver.

    This one function decides fan-out, replay and export alike, so the three
    can never disagree. Unknown audiences reach no one.
    """
    if role == FACILITATOR:
        return audience in AUDIENCES
    if audience == EVERYONE:
        return True
    if audience == MEMBERS:
        return role == PARTICIPANT
    if audience == MEMBER:
        return subject is not None and subject == member_id
    return False
