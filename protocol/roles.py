"""Roles, audiences and the one permission table.

The server enforces these rules; clients only read them to hide what a role
cannot do. Nothing here performs I/O.
"""

from __future__ import annotations

from bisect import bisect_right
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
    "SELF",
    "AUDIENCES",
    "visible_to",
    "SHARED_MATERIAL",
    "Visit",
    "sees",
    "ROOM",
    "Stay",
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
    # -- the facilitator's kit (issue 14 part A): guided journaling, go-around rounds, fair airtime --
    "journal.open": _F,
    "journal.close": _F,
    "journal.write": _P,  # a member's own entry, private to them (audience SELF)
    "journal.share": _P,  # a member shares their own entry with the facilitators or the group
    "goround.start": _F,
    "goround.next": _F,  # the facilitator moves on (or skips the member whose turn it is)
    "goround.pass": _P,  # the member whose turn it is passes
    "goround.end": _F,
    "member.nudge": _F,
    "member.slow": _F,
    # between sessions: the family session's waiting room, the peer space
    "guest.admit": _F,
    "feed.post": _FP,
    "resource.pin": _F,
    "resource.unpin": _F,
    "feed.delete": _F,
    # -- reminders (issue 15a) --
    "reminders.set": _FP,  # one's own reminder choices
    # -- small rooms: breakout rooms and role-play (issue 13) --
    "breakout.open": _F,
    "breakout.place": _F,
    "breakout.visit": _F,
    "breakout.broadcast": _F,
    "breakout.recall": _F,
    "breakout.summary": _P,  # someone in a room drafts its shared summary
    "roleplay.start": _F,
    "roleplay.end": _F,
    "roleplay.say": _P,  # a line in character
    "roleplay.note": _P,  # an observer's note, kept for the facilitators
    "roleplay.share": _P,  # an observer shares their notes with the group
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
    # -- the facilitator's kit (issue 14 part A) --
    "journal.open": "open a journaling prompt",
    "journal.close": "close a journaling prompt",
    "journal.write": "write in a journal",
    "journal.share": "share a journal entry",
    "goround.start": "start a go-around",
    "goround.next": "move a go-around on",
    "goround.pass": "pass in a go-around",
    "goround.end": "end a go-around",
    "member.nudge": "send a member a private nudge",
    "member.slow": "slow a member's pace",
    # between sessions
    "guest.admit": "let a guest in from the waiting room",
    "feed.post": "post to the between-session feed",
    "resource.pin": "pin a resource",
    "resource.unpin": "unpin a resource",
    "feed.delete": "delete a post from the feed",
    # -- reminders (issue 15a) --
    "reminders.set": "choose reminders",
    # -- small rooms: breakout rooms and role-play (issue 13) --
    "breakout.open": "open breakout rooms",
    "breakout.place": "place members in breakout rooms",
    "breakout.visit": "join a breakout room as a facilitator",
    "breakout.broadcast": "broadcast to every breakout room",
    "breakout.recall": "recall the breakout rooms",
    "breakout.summary": "write a breakout room's summary",
    "roleplay.start": "start a role-play",
    "roleplay.end": "end a role-play",
    "roleplay.say": "speak in character",
    "roleplay.note": "write observer notes",
    "roleplay.share": "share observer notes",
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
Audience = Literal["everyone", "members", "facilitators", "member", "self", "room"]

EVERYONE: Final = "everyone"  # every role, guests included (a session's shared content)
MEMBERS: Final = "members"  # facilitators and participants; never guests
FACILITATORS: Final = "facilitators"  # facilitators only
MEMBER: Final = "member"  # one member (the event's subject) and the facilitators
SELF: Final = "self"  # the event's subject alone: not another member, not the facilitators either (a journal entry)
AUDIENCES: tuple[Audience, ...] = (EVERYONE, MEMBERS, FACILITATORS, MEMBER, SELF)


def visible_to(audience: str, subject: int | None, role: str, member_id: int) -> bool:
    """Whether an event with ``audience`` (and ``subject`` for MEMBER) may reach a receiver.

    This one function decides fan-out, replay and export alike, so the three
    can never disagree. Unknown audiences reach no one. A facilitator reads
    every audience but one: ``self``, what a member wrote for themselves
    alone (an unshared journal entry), reaches its subject and no one else.
    """
    if audience == SELF:
        return subject is not None and subject == member_id
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
    role: str, member_id: int, audience: str, subject: int | None, seq: int, etype: str, visits: Iterable[Visit] = (),
    stays: Iterable[Stay] = (),
) -> bool:
    """The one rule: whether an event reaches a reader, live, on replay or in an export.

    The event's audience must admit the reader (:func:`visible_to`); a guest
    moreover sees only the sessions they attended (``visits``, folded from the
    log's ``guest.arrived`` events): each from their arrival on, plus the
    session's shared material from before it. Never the group's life between
    sessions, never another session. A ``room`` event (its subject the room's
    number) reaches the facilitators and whoever was in that room when it was
    logged (``stays``, folded from the log's ``room.*`` events).
    """
    if audience == ROOM and role != FACILITATOR:
        return in_room(role, subject, seq, etype, visits, stays)
    if not visible_to(audience, subject, role, member_id):
        return False
    if role != GUEST:
        return True
    return any(visit.covers(seq, etype) for visit in visits)


# -- small rooms: breakout rooms and role-play (issue 13) ---------------------------
#
# A breakout room's lines carry the audience ROOM with the room's number as
# their subject. Who was in which room, and from when to when, is part of the
# log (``room.opened``, ``room.joined``, ``room.left``, ``breakout.closed``),
# folded into :class:`Stay` records the way a guest's visits are: so fan-out,
# replay and export ask the one rule (:func:`sees`) with the same answer.

ROOM: Final = "room"  # the facilitators and the members of one breakout room (subject: its number)
AUDIENCES = (*AUDIENCES, ROOM)


@dataclass(frozen=True)
class Stay:
    """A member's time in one breakout room: from the seq that put them in it
    (``start``) to the seq that took them out (``end``, inclusive; None while there)."""

    room: int
    start: int
    end: int | None = None

    def covers(self, room: int | None, seq: int) -> bool:
        return room == self.room and seq >= self.start and (self.end is None or seq <= self.end)


def in_room(role: str, room: int | None, seq: int, etype: str, visits: Iterable[Visit], stays: Iterable[Stay]) -> bool:
    """Whether a participant or guest was in breakout room ``room`` at ``seq`` (a
    guest moreover only within a session they attended).

    A member's stays never overlap and come oldest first (the fold appends
    them), so the one that can hold ``seq`` is the last to start at or before
    it: found by bisection, whatever the number of rounds."""
    if role not in (PARTICIPANT, GUEST):
        return False
    if role == GUEST and not any(visit.covers(seq, etype) for visit in visits):
        return False
    ordered = stays if isinstance(stays, (list, tuple)) else list(stays)
    index = bisect_right(ordered, seq, key=_stay_start) - 1
    return index >= 0 and ordered[index].covers(room, seq)


def _stay_start(stay: Stay) -> int:
    return stay.start
