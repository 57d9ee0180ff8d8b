"""Roles, audiences and the one permission table.

The server enforces these rules; clients only read them to hide what a role
cannot do. Nothing here performs I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "Role",
    "Audience",
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
    "SHARED_MATERIAL",
    "Visit",
    "sees",
]


#: A member's role, as the wire and the store spell it.
Role = Literal["facilitator", "participant", "guest"]

FACILITATOR: Final = "facilitator"
PARTICIPANT: Final = "participant"
GUEST: Final = "guest"
ROLES: tuple[Role, ...] = (FACILITATOR, PARTICIPANT, GUEST)

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
    "urgent.raise": _PG,  # any member, in or between sessions
    "urgent.acknowledge": _F,
    "measure.give": _F,
    "measure.answer": _P,
    "safety.contact": _FP,  # a member their own; a facilitator anyone's
    # shared boards (protocol/board.py): never guests
    "board.open": _F,
    "board.clear": _F,
    "card.add": _FP,
    "card.edit": _FP,  # one's own card
    "card.remove": _FP,  # one's own card; a facilitator any card
    "card.plus": _FP,
    "card.move": _F,
    "card.merge": _F,
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
    "urgent.raise": "ask for urgent help",
    "urgent.acknowledge": "acknowledge an urgent request",
    "measure.give": "give a questionnaire",
    "measure.answer": "answer a questionnaire",
    "safety.contact": "set an emergency contact",
    # shared boards
    "board.open": "open a board",
    "board.clear": "clear a board",
    "card.add": "add cards to a board",
    "card.edit": "edit cards",
    "card.remove": "remove cards",
    "card.plus": "add a +1 to a card",
    "card.move": "move cards between columns",
    "card.merge": "merge cards",
}


def may(role: str, kind: str) -> bool:
    """Whether ``role`` may send a command of ``kind``."""
    return role in PERMISSIONS.get(kind, ())


# Audiences: who may ever receive an event, live, on replay or in an export.
Audience = Literal["everyone", "members", "facilitators", "member"]

EVERYONE: Final = "everyone"  # every role, guests included (a session's shared content)
MEMBERS: Final = "members"  # facilitators and participants; never guests
FACILITATORS: Final = "facilitators"  # facilitators only
MEMBER: Final = "member"  # one member (the event's subject) and the facilitators
AUDIENCES: tuple[Audience, ...] = (EVERYONE, MEMBERS, FACILITATORS, MEMBER)


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


#: What a guest who arrives in the middle of a session still receives from
#: before their arrival: the session's shared material (its start, phase,
#: deck and live slide, the polls and whether they closed, the hand queue).
#: Chat lines, deletions, results with voter names — anything members *said*
#: or *did* before the guest came in — are not material, and stay with them.
SHARED_MATERIAL = frozenset(
    {
        "session.started",
        "phase.changed",
        "deck.loaded",
        "slide.changed",
        "poll.opened",
        "poll.closed",
        "hand.raised",
        "hand.lowered",
    }
)


@dataclass(frozen=True)
class Visit:
    """A guest's part in one session, as the log records it.

    ``start`` is the session's id (the seq of its ``session.started``),
    ``arrived`` the seq of the guest's ``guest.arrived`` and ``end`` the seq
    of ``session.ended`` (None while the session runs).
    """

    start: int
    arrived: int
    end: int | None = None

    def covers(self, seq: int, etype: str) -> bool:
        """Whether an event at ``seq`` of type ``etype`` belongs to this visit."""
        if seq < self.start or (self.end is not None and seq > self.end):
            return False
        return seq >= self.arrived or etype in SHARED_MATERIAL


def sees(
    role: str, member_id: int, audience: str, subject: int | None, seq: int, etype: str, visits: Iterable[Visit] = ()
) -> bool:
    """The one rule: whether an event reaches a reader, live, on replay or in an export.

    The event's audience must admit the reader (:func:`visible_to`); a guest
    moreover sees only the sessions they attended (``visits``, folded from the
    log's ``guest.arrived`` events): each from their arrival on, plus the
    session's shared material from before it. Never the group's life between
    sessions, never another session.
    """
    if not visible_to(audience, subject, role, member_id):
        return False
    if role != GUEST:
        return True
    return any(visit.covers(seq, etype) for visit in visits)
