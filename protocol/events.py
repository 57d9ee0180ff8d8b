"""Events: the entries of a group's one ordered log.

An event is what the server decided happened. It carries the group's next
gap-free ``seq``, an ``audience`` (see :mod:`protocol.roles`) and, for the
``member`` audience, the ``subject`` it concerns. An event whose content is
partly private is split into two events with two audiences (a check-in and
its facilitators-only note; a deck and its presenter notes), so that one rule
— :func:`protocol.roles.visible_to` — governs every delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ErrorCode, ProtocolError
from .roles import AUDIENCES

__all__ = ["EVENT_TYPES", "SEQ", "Event", "Draft", "parse_event"]

class _SeqMarker:
    """The type of :data:`SEQ`: one object, never equal to anything a member can send.

    The marker lives outside the namespace of member text (a chat line that
    reads ``$seq`` stays text), and it cannot be encoded: a draft whose marker
    was not replaced fails loudly instead of reaching the log.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "SEQ"

    def __reduce__(self) -> str:
        return "SEQ"


#: Placeholder in a Draft's data for "the seq of this decision's first event".
SEQ = _SeqMarker()

#: Every event type the log may hold.
EVENT_TYPES = frozenset(
    {
        "session.started",
        "session.ended",
        "phase.changed",
        "checkin.submitted",
        "checkin.note",
        "deck.loaded",
        "deck.notes",
        "slide.changed",
        "poll.opened",
        "poll.key",
        "poll.voted",
        "poll.closed",
        "poll.revealed",
        "chat.posted",
        "chat.deleted",
        "hand.raised",
        "hand.lowered",
        "homework.assigned",
        "homework.submitted",
        "member.muted",
        "member.removed",
        "guest.arrived",
        "member.reinstated",
        # safety (docs/protocol.md, "Safety"): urgent help, alerts, measures, safety details
        "urgent.raised",
        "alert.raised",
        "urgent.acknowledged",
        "urgent.emailed",
        "measure.given",
        "measure.answered",
        "measure.scored",
        "safety.contact",
        "checkin.location",
        # the facilitator's kit (issue 14 part A; docs/protocol.md, "The facilitator's kit")
        "journal.opened",
        "journal.closed",
        "journal.written",
        "journal.progress",
        "journal.shared",
        "goround.started",
        "goround.moved",
        "goround.ended",
        "member.nudged",
        "member.slowed",
        # between sessions (docs/protocol.md, "Between sessions"): attendance,
        # the family session's waiting room, the peer space
        "attendance.recorded",
        "guest.waiting",
        "feed.posted",
        "resource.pinned",
        "resource.unpinned",
        "feed.deleted",
        # -- reminders (issue 15a): a member changed their reminder choices (never their addresses) --
        "reminders.changed",
        # small rooms (docs/protocol.md, "Breakout rooms and role-play", issue 13)
        "breakout.opened",
        "room.opened",
        "room.joined",
        "room.left",
        "room.visited",
        "room.warned",
        "room.drafted",
        "breakout.broadcast",
        "breakout.closed",
        "roleplay.started",
        "roleplay.cue",
        "roleplay.noted",
        "roleplay.ended",
        "roleplay.shared",
        # shared boards (docs/protocol.md, "Shared boards"; protocol/board.py)
        "board.opened",
        "board.cleared",
        "card.added",
        "card.author",
        "card.edited",
        "card.removed",
        "card.moved",
        "card.plussed",
        "card.plus_by",
        "card.merged",
    }
)


@dataclass(frozen=True)
class Draft:
    """An event the session model decided on, before the hub gives it a seq.

    ``data`` may hold the marker :data:`SEQ` as the value of an id field
    (``poll_id``, ``message_id``, ``homework_id``, ``session_id``): the hub
    replaces it with the seq of the *first* event of the same decision, so an
    object is named by the event that created it (a poll and its answer key
    share the poll's id).
    """

    type: str
    audience: str
    data: dict[str, Any] = field(default_factory=dict)
    subject: int | None = None
    #: Logged with no actor (0, no name): on an anonymous board the event that
    #: reaches the group must not name who acted, not even in its envelope.
    anonymous: bool = False


@dataclass(frozen=True)
class Event:
    """One logged event."""

    seq: int
    type: str
    ts: float
    actor: int  # member id; 0 for the server itself
    actor_name: str
    audience: str
    subject: int | None
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {
            "kind": "event",
            "seq": self.seq,
            "type": self.type,
            "ts": self.ts,
            "actor": self.actor,
            "actor_name": self.actor_name,
            "audience": self.audience,
            "subject": self.subject,
            "data": self.data,
        }


def parse_event(frame: dict[str, Any]) -> Event:
    """Read an ``event`` frame (client side, or from storage)."""
    try:
        seq = frame["seq"]
        etype = frame["type"]
        audience = frame["audience"]
        data = frame["data"]
        if not isinstance(seq, int) or seq < 1 or etype not in EVENT_TYPES or audience not in AUDIENCES or not isinstance(data, dict):
            raise ValueError
        return Event(
            seq=seq,
            type=etype,
            ts=float(frame.get("ts", 0.0)),
            actor=int(frame.get("actor", 0)),
            actor_name=str(frame.get("actor_name", "")),
            audience=audience,
            subject=frame.get("subject"),
            data=data,
        )
    except (KeyError, TypeError, ValueError):
        raise ProtocolError(ErrorCode.BAD_FRAME, "The server sent an event this client cannot read; update the client.") from None
