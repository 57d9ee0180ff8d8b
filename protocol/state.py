"""A group's state, folded from the events its reader may see.

The server folds every event (its state is what a facilitator sees); a client
folds the events it receives. One fold, so the two can never disagree about
what an event means. :meth:`GroupState.apply` is pure bookkeeping: it never
refuses an event — deciding is the server's session model's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Iterable
from typing import Any

from .board import Board, Card
from .events import Event
from .kit_state import KitState
from .messages import SCALE_POINTS
from .roles import GUEST, MEMBER, Stay, Visit, sees
from .smallrooms import Breakout, BreakoutRoom, Cue, Scene, SceneRole
from .names import name_key

_WORD = re.compile(r"\S+")

__all__ = [
    "Alert",
    "GivenMeasure",
    "MeasureResponse",
    "DEFAULT_ALERT_MOOD",
    "RosterEntry",
    "SessionInfo",
    "Checkin",
    "Poll",
    "ChatLine",
    "Homework",
    "Submission",
    "GroupState",
    "FeedPost",
    "Resource",
    "guest_visits",
    "visible_events",
]


@dataclass
class RosterEntry:
    member_id: int
    name: str
    role: str
    status: str = "offline"  # online | reconnecting | offline
    muted: bool = False
    removed: bool = False


@dataclass
class SessionInfo:
    session_id: int  # the seq of its session.started event
    title: str
    started_at: float
    ended_at: float | None = None
    summary: str = ""
    kind: str = "group"  # protocol.sessionkind.SessionKind
    ended_seq: int | None = None  # the seq of its session.ended


@dataclass
class Checkin:
    member_id: int
    name: str
    mood: int | None
    feelings: list[str]
    passed: bool
    note: str  # the note, when this reader may see it
    note_private: bool  # the note was for the facilitators only
    ts: float


@dataclass
class Poll:
    poll_id: int
    question: str
    kind: str
    options: list[str]
    anonymous: bool
    session_id: int | None
    status: str = "open"  # open | closed | revealed
    correct: int | None = None  # known to facilitators, and to all once revealed
    votes: dict[int, list[int]] = field(default_factory=dict)  # the votes this reader may see
    counts: list[int] | None = None  # revealed results
    total: int = 0
    names: dict[int, list[str]] | None = None  # option -> voters, when named and revealed

    def tally(self) -> list[int]:
        """Counts per option: the revealed results, else the votes this reader sees."""
        if self.counts is not None:
            return list(self.counts)
        counts = [0] * self.option_count()
        for choices in self.votes.values():
            for c in choices:
                if 0 <= c < len(counts):
                    counts[c] += 1
        return counts

    def voters(self) -> int:
        return self.total if self.counts is not None else len(self.votes)

    def option_count(self) -> int:
        return SCALE_POINTS if self.kind == "scale" else len(self.options)

    def option_label(self, index: int) -> str:
        if self.kind == "scale":
            return str(index)
        return self.options[index] if 0 <= index < len(self.options) else f"option {index + 1}"


@dataclass
class ChatLine:
    message_id: int  # the seq of its chat.posted event
    member_id: int
    name: str
    text: str
    to: str  # group | facilitators
    me: bool
    ts: float
    session_id: int | None
    deleted: bool = False
    #: The member whose private thread with the facilitators holds this line
    #: (their own private lines and the facilitators' replies to them); None
    #: for group chat and for lines among facilitators only.
    thread: int | None = None
    #: Small rooms (issue 13): the breakout room the line was said in (0: the main
    #: room while rooms were open; None: no rooms were open) and the role it was
    #: said in (role-play; "" when out of role).
    room: int | None = None
    as_role: str = ""


@dataclass
class Submission:
    member_id: int
    name: str
    text: str
    checked: list[int]
    log: list[dict[str, Any]]
    ts: float
    late: bool


@dataclass
class Homework:
    homework_id: int
    title: str
    kind: str
    instructions: str
    items: list[str]
    due: str
    assigned_at: float
    submissions: dict[int, Submission] = field(default_factory=dict)
    #: The members it is for (personal homework), as this reader knows them; None: the whole group.
    assigned_to: list[int] | None = None

    def for_member(self, member_id: int | None) -> bool:
        """Whether this homework is assigned to ``member_id`` (everyone's is)."""
        return self.assigned_to is None or member_id in self.assigned_to


@dataclass
class Alert:
    """A request for urgent help, or an alert the relay raised for the facilitators.

    ``alert_id`` is the seq of the ``urgent.raised`` or ``alert.raised`` event.
    ``source`` is ``member`` (the member asked), ``checkin`` or ``measure``.
    """

    alert_id: int
    member_id: int
    source: str
    text: str
    ts: float
    acknowledged_by: int | None = None
    acknowledged_name: str = ""
    emailed: bool = False


@dataclass
class GivenMeasure:
    """A questionnaire a facilitator gave: to one member, or to the group (``member_id`` None)."""

    measure_id: int  # the seq of its measure.given event
    measure: str  # a key of protocol.measures.MEASURES
    member_id: int | None
    ts: float
    due: str | None = None  # YYYY-MM-DD: to be answered by this day; None: no date


@dataclass
class MeasureResponse:
    """One member's answers to one given measure (the answers this reader may see)."""

    measure_id: int
    measure: str
    member_id: int
    answers: dict[int, int] = field(default_factory=dict)  # item index -> 0..3
    total: int | None = None  # set once every item is answered
    band: str = ""
    ts: float = 0.0
    late: bool = False  # finished after the questionnaire's due date


@dataclass
class FeedPost:
    """A post to the group's between-session feed (a peer check-in)."""

    post_id: int  # the seq of its feed.posted event
    member_id: int
    name: str
    text: str
    ts: float


@dataclass
class Resource:
    """A resource a facilitator pinned: a title, a link (text, never opened) and a short text."""

    resource_id: int  # the seq of its resource.pinned event
    title: str
    link: str
    text: str
    ts: float


#: The mood at or below which a check-in raises an alert, unless the group sets another.
DEFAULT_ALERT_MOOD = 2


@dataclass
class GroupState(KitState):
    """Everything a reader knows about a group: fold events with :meth:`apply`.

    The facilitator's kit (journal prompts and entries, go-arounds, airtime,
    slowed members) is folded by its base, :class:`protocol.kit_state.KitState`."""

    head_seq: int = 0
    roster: dict[int, RosterEntry] = field(default_factory=dict)
    session: SessionInfo | None = None  # the live session, if any
    sessions: list[SessionInfo] = field(default_factory=list)  # every session seen, oldest first
    phase: str | None = None
    phase_since: float | None = None
    checkins: dict[int, Checkin] = field(default_factory=dict)  # this session's round
    deck_title: str = ""
    slides: list[dict[str, str]] = field(default_factory=list)  # {"title", "body"}
    notes: list[str] = field(default_factory=list)  # presenter notes (facilitators)
    slide_index: int = 0
    polls: dict[int, Poll] = field(default_factory=dict)
    chat: list[ChatLine] = field(default_factory=list)
    hands: list[int] = field(default_factory=list)  # raised hands, oldest first
    homework: dict[int, Homework] = field(default_factory=dict)
    visits: dict[int, list[Visit]] = field(default_factory=dict)  # guest id -> the sessions they attended
    names: dict[int, str] = field(default_factory=dict)  # member id -> name, learned from events' actors
    # Safety (visible to facilitators; a member sees their own).
    alerts: dict[int, Alert] = field(default_factory=dict)
    measures: dict[int, GivenMeasure] = field(default_factory=dict)
    responses: dict[tuple[int, int], MeasureResponse] = field(default_factory=dict)  # (measure_id, member_id)
    contacts: dict[int, str] = field(default_factory=dict)  # member id -> emergency contact
    locations: dict[int, str] = field(default_factory=dict)  # member id -> where they are, as confirmed at this session's check-in
    # The group's alert settings: the relay loads them from its store (like the roster), never from the log.
    alert_mood: int = DEFAULT_ALERT_MOOD
    watch_words: frozenset[str] = frozenset()  # casefolded feeling words that raise an alert
    # Between sessions (protocol/attendance.py, protocol/family.py).
    attendance: dict[int, list[Any]] = field(default_factory=dict)  # session id -> AttendanceRow list (facilitators)
    waiting: dict[int, int] = field(default_factory=dict)  # guest id -> the session they wait to be let into
    feed: list[FeedPost] = field(default_factory=list)  # the between-session feed, oldest first
    resources: dict[int, Resource] = field(default_factory=dict)  # pinned resources by id
    # Loaded by the relay from its store, never from the log (like the roster):
    guest_invites: dict[int, int] = field(default_factory=dict)  # guest id -> head seq when invited
    stretches: list[Any] = field(default_factory=list)  # the live session's attendance.Stretch list
    # Small rooms (issue 13): the open breakout, who was in which room when, the
    # last round's rooms ("kept from last time"), the role-play scene of each room.
    breakout: Breakout | None = None
    stays: dict[int, list[Stay]] = field(default_factory=dict)  # member id -> their time in rooms
    last_rooms: dict[int, int] = field(default_factory=dict)  # member id -> room, at the last recall
    scenes: dict[int, Scene] = field(default_factory=dict)  # room number (0: main) -> its latest scene
    # Shared boards and mood history (issue 14 part B; protocol/board.py).
    boards: dict[int, Board] = field(default_factory=dict)  # board id -> board, oldest first
    moods: dict[int, list[tuple[int, int | None]]] = field(default_factory=dict)  # member -> (session id, mood or None: passed), oldest first
    card_authors: dict[int, int] = field(default_factory=dict)  # card id -> writer, learned (card.author) before the card itself

    # -- roster (from welcome and presence frames, not the log) -------------

    def set_roster(self, entries: list[dict[str, Any]]) -> None:
        self.roster = {}
        for e in entries:
            self.update_member(e)

    def update_member(self, entry: dict[str, Any], status: str | None = None) -> RosterEntry:
        mid = int(entry["id"])
        current = self.roster.get(mid)
        if current is None:
            current = self.roster[mid] = RosterEntry(mid, str(entry.get("name", "")), str(entry.get("role", "participant")))
        else:
            current.name = str(entry.get("name", current.name))
            current.role = str(entry.get("role", current.role))
        if "status" in entry:
            current.status = str(entry["status"])
        if "muted" in entry:
            current.muted = bool(entry["muted"])
        if "removed" in entry:
            current.removed = bool(entry["removed"])
        if status is not None:
            current.status = status
        return current

    def name_of(self, member_id: int) -> str:
        """A member's name: from the roster, else as the log named them; never an internal id."""
        entry = self.roster.get(member_id)
        if entry is not None and entry.name:
            return entry.name
        return self.names.get(member_id) or "someone"

    def visited(self, member_id: int) -> bool:
        """Whether guest ``member_id`` has arrived in the live session."""
        sid = self._sid()
        return sid is not None and any(v.start == sid for v in self.visits.get(member_id, ()))

    # -- derived views -------------------------------------------------------

    def current_polls(self) -> list[Poll]:
        sid = self.session.session_id if self.session else None
        return [p for p in self.polls.values() if p.session_id == sid or p.status == "open"]

    def open_polls(self) -> list[Poll]:
        return [p for p in self.polls.values() if p.status == "open"]

    def checkin_round(self) -> list[Checkin]:
        """This session's check-ins, lowest moods first, passes last."""
        return sorted(self.checkins.values(), key=lambda c: (c.passed, c.mood if c.mood is not None else 11, c.ts))

    def member_named(self, name: str) -> RosterEntry | None:
        """The member still in the group whose name is ``name`` by
        :func:`~protocol.names.name_key` (case, Unicode form and spacing aside),
        else the only one whose name starts so; None when none or several."""
        key = name_key(name)
        if not key:
            return None
        people = [e for e in self.roster.values() if not e.removed]
        exact = [e for e in people if name_key(e.name) == key]
        if len(exact) == 1:
            return exact[0]
        prefix = [e for e in people if name_key(e.name).startswith(key)]
        return prefix[0] if len(prefix) == 1 and not exact else None

    def member_at_start(self, text: str) -> tuple[RosterEntry | None, str]:
        """The member still in the group whose name begins ``text`` (by
        :func:`~protocol.names.name_key`, longest name first) and the text after
        it ("Zoë 李: see you" -> Zoë 李, "see you"); (None, text) when none."""
        spans = [m.span() for m in _WORD.finditer(text)][:8]
        keys = {name_key(e.name): e for e in self.roster.values() if not e.removed and e.name}
        for count in range(len(spans), 0, -1):
            head = text[: spans[count - 1][1]].rstrip(":,")
            entry = keys.get(name_key(head))
            if entry is not None:
                return entry, text[spans[count - 1][1]:].lstrip(" :,").strip()
        return None, text

    def active_participants(self) -> list[RosterEntry]:
        """Participants still in the group (not removed, not revoked)."""
        return [e for e in self.roster.values() if e.role == "participant" and not e.removed]

    def revoked_members(self) -> list[RosterEntry]:
        """Members removed from the group or whose token was revoked, by name."""
        return sorted((e for e in self.roster.values() if e.removed), key=lambda e: e.name.casefold())

    def completion(self, homework: Homework) -> tuple[int, int]:
        """(submitted, expected) for homework, counting active participants only.

        A revoked member's submission stays readable but no longer counts, so
        completion never reads "3 of 2".
        """
        active = {e.member_id for e in self.active_participants()}
        if homework.assigned_to is not None:
            active &= set(homework.assigned_to)
        return sum(1 for mid in homework.submissions if mid in active), len(active)

    def visible_chat(self) -> list[ChatLine]:
        return [line for line in self.chat if not line.deleted]

    # -- the fold ------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event. Events must arrive in seq order; older ones are ignored."""
        if event.seq <= self.head_seq:
            return
        self.head_seq = event.seq
        if event.actor and event.actor_name:
            self.names[event.actor] = event.actor_name
        handler = getattr(self, "_on_" + event.type.replace(".", "_"), None)
        if handler is not None:
            handler(event, event.data)

    def _sid(self) -> int | None:
        return self.session.session_id if self.session else None

    def _on_session_started(self, ev: Event, d: dict[str, Any]) -> None:
        self.session = SessionInfo(int(d.get("session_id", ev.seq)), str(d.get("title", "")), ev.ts, kind=str(d.get("kind", "group")))
        self.sessions.append(self.session)
        self.phase, self.phase_since = None, ev.ts
        self.checkins.clear()
        self.locations.clear()
        self.hands.clear()
        self.slide_index = 0

    def _on_session_ended(self, ev: Event, d: dict[str, Any]) -> None:
        if self.session is not None:
            self.session.ended_at = ev.ts
            self.session.summary = str(d.get("summary", ""))
            self.session.ended_seq = ev.seq
        self.session = None
        self.waiting.clear()
        self.stretches = []
        self.phase, self.phase_since = None, ev.ts
        self.hands.clear()
        for mid, visits in self.visits.items():
            self.visits[mid] = [Visit(v.start, v.arrived, ev.seq) if v.end is None else v for v in visits]
        for poll in self.polls.values():
            if poll.status == "open":
                poll.status = "closed"

    def _on_phase_changed(self, ev: Event, d: dict[str, Any]) -> None:
        self.phase, self.phase_since = d["phase"], ev.ts

    def _on_checkin_submitted(self, ev: Event, d: dict[str, Any]) -> None:
        mid = int(d["member_id"])
        note = str(d.get("note", ""))
        private = bool(d.get("note_private", False))
        self.checkins[mid] = Checkin(
            mid, ev.actor_name or self.name_of(mid), d.get("mood"), list(d.get("feelings", [])),
            bool(d.get("passed", False)), note, private, ev.ts,
        )
        self._record_mood(mid, d.get("mood"), bool(d.get("passed", False)))

    def _on_checkin_note(self, ev: Event, d: dict[str, Any]) -> None:
        checkin = self.checkins.get(int(d["member_id"]))
        if checkin is not None:
            checkin.note = str(d.get("note", ""))
            checkin.note_private = True

    def _on_deck_loaded(self, ev: Event, d: dict[str, Any]) -> None:
        self.deck_title = str(d.get("title", ""))
        self.slides = [{"title": str(s.get("title", "")), "body": str(s.get("body", ""))} for s in d.get("slides", [])]
        self.notes = []
        self.slide_index = 0

    def _on_deck_notes(self, ev: Event, d: dict[str, Any]) -> None:
        self.notes = [str(n) for n in d.get("notes", [])]

    def _on_slide_changed(self, ev: Event, d: dict[str, Any]) -> None:
        self.slide_index = int(d["index"])

    def _on_poll_opened(self, ev: Event, d: dict[str, Any]) -> None:
        pid = int(d["poll_id"])
        self.polls[pid] = Poll(
            pid, str(d["question"]), str(d["poll_kind"]), list(d.get("options", [])),
            bool(d.get("anonymous", True)), self._sid(),
        )

    def _on_poll_key(self, ev: Event, d: dict[str, Any]) -> None:
        poll = self.polls.get(int(d["poll_id"]))
        if poll is not None:
            poll.correct = d.get("correct")

    def _on_poll_voted(self, ev: Event, d: dict[str, Any]) -> None:
        poll = self.polls.get(int(d["poll_id"]))
        if poll is not None:
            poll.votes[int(d["member_id"])] = [int(c) for c in d.get("choices", [])]

    def _on_poll_closed(self, ev: Event, d: dict[str, Any]) -> None:
        poll = self.polls.get(int(d["poll_id"]))
        if poll is not None and poll.status == "open":
            poll.status = "closed"

    def _on_poll_revealed(self, ev: Event, d: dict[str, Any]) -> None:
        poll = self.polls.get(int(d["poll_id"]))
        if poll is not None:
            poll.status = "revealed"
            poll.counts = [int(c) for c in d.get("counts", [])]
            poll.total = int(d.get("total", 0))
            if d.get("correct") is not None:
                poll.correct = int(d["correct"])
            names = d.get("names")
            poll.names = {int(k): list(v) for k, v in names.items()} if isinstance(names, dict) else None

    def _on_chat_posted(self, ev: Event, d: dict[str, Any]) -> None:
        self.chat.append(
            ChatLine(
                int(d.get("message_id", ev.seq)), int(d["member_id"]), ev.actor_name or self.name_of(int(d["member_id"])),
                str(d["text"]), str(d.get("to", "group")), bool(d.get("me", False)), ev.ts, self._sid(),
                thread=ev.subject if ev.audience == MEMBER else None,
                room=int(d["room"]) if d.get("room") else (0 if self.breakout is not None else None), as_role=str(d.get("as", "")),
            )
        )
        self._count_airtime(ev, d)  # the facilitator's kit: airtime (protocol/kit_state.py)

    def _on_chat_deleted(self, ev: Event, d: dict[str, Any]) -> None:
        mid = int(d["message_id"])
        for line in self.chat:
            if line.message_id == mid:
                line.deleted = True
                line.text = ""

    def _on_hand_raised(self, ev: Event, d: dict[str, Any]) -> None:
        mid = int(d["member_id"])
        if mid not in self.hands:
            self.hands.append(mid)

    def _on_hand_lowered(self, ev: Event, d: dict[str, Any]) -> None:
        mid = int(d["member_id"])
        if mid in self.hands:
            self.hands.remove(mid)

    def _on_homework_assigned(self, ev: Event, d: dict[str, Any]) -> None:
        hid = int(d["homework_id"])
        personal = ev.audience == MEMBER and ev.subject is not None
        known = self.homework.get(hid)
        if known is not None and personal:
            # personal homework: one event per member it is for, one id
            if known.assigned_to is not None and ev.subject not in known.assigned_to:
                known.assigned_to.append(int(ev.subject))  # type: ignore[arg-type]
            return
        self.homework[hid] = Homework(
            hid, str(d["title"]), str(d["homework_kind"]), str(d.get("instructions", "")),
            list(d.get("items", [])), str(d["due"]), ev.ts, assigned_to=[int(ev.subject)] if personal else None,  # type: ignore[arg-type]
        )

    def _on_homework_submitted(self, ev: Event, d: dict[str, Any]) -> None:
        hw = self.homework.get(int(d["homework_id"]))
        if hw is not None:
            mid = int(d["member_id"])
            hw.submissions[mid] = Submission(
                mid, ev.actor_name or self.name_of(mid), str(d.get("text", "")), list(d.get("checked", [])),
                list(d.get("log", [])), ev.ts, bool(d.get("late", False)),
            )

    def _on_member_muted(self, ev: Event, d: dict[str, Any]) -> None:
        entry = self.roster.get(int(d["member_id"]))
        if entry is not None:
            entry.muted = bool(d.get("muted", True))

    def _on_guest_arrived(self, ev: Event, d: dict[str, Any]) -> None:
        sid = self._sid()
        if sid is not None:
            self.visits.setdefault(int(d["member_id"]), []).append(Visit(sid, ev.seq))
        self.waiting.pop(int(d["member_id"]), None)

    def _on_member_removed(self, ev: Event, d: dict[str, Any]) -> None:
        mid = int(d["member_id"])
        entry = self.roster.get(mid)
        if entry is not None:
            entry.removed = True
            entry.status = "offline"
        if mid in self.hands:
            self.hands.remove(mid)

    def _on_member_reinstated(self, ev: Event, d: dict[str, Any]) -> None:
        entry = self.roster.get(int(d["member_id"]))
        if entry is not None:
            entry.removed = False

    # -- safety --------------------------------------------------------------

    def _on_urgent_raised(self, ev: Event, d: dict[str, Any]) -> None:
        self.alerts[ev.seq] = Alert(ev.seq, int(d["member_id"]), "member", str(d.get("text", "")), ev.ts)

    def _on_alert_raised(self, ev: Event, d: dict[str, Any]) -> None:
        self.alerts[ev.seq] = Alert(ev.seq, int(d["member_id"]), str(d.get("source", "")), str(d.get("reason", "")), ev.ts)

    def _on_urgent_acknowledged(self, ev: Event, d: dict[str, Any]) -> None:
        alert = self.alerts.get(int(d["alert_id"]))
        if alert is not None and alert.acknowledged_by is None:
            alert.acknowledged_by = int(d.get("by", ev.actor))
            alert.acknowledged_name = ev.actor_name or self.name_of(alert.acknowledged_by)

    def _on_urgent_emailed(self, ev: Event, d: dict[str, Any]) -> None:
        alert = self.alerts.get(int(d["alert_id"]))
        if alert is not None:
            alert.emailed = True

    def unacknowledged(self) -> list[Alert]:
        """Alerts no facilitator has acknowledged yet, oldest first."""
        return [a for a in sorted(self.alerts.values(), key=lambda a: a.alert_id) if a.acknowledged_by is None]

    def _on_measure_given(self, ev: Event, d: dict[str, Any]) -> None:
        mid = d.get("member_id")
        self.measures[int(d.get("measure_id", ev.seq))] = GivenMeasure(
            int(d.get("measure_id", ev.seq)), str(d["measure"]), int(mid) if mid is not None else None, ev.ts,
            str(d["due"]) if d.get("due") else None,
        )

    def _response(self, d: dict[str, Any], ts: float) -> MeasureResponse:
        key = (int(d["measure_id"]), int(d["member_id"]))
        found = self.responses.get(key)
        if found is None:
            found = self.responses[key] = MeasureResponse(key[0], str(d.get("measure", "")), key[1], ts=ts)
        return found

    def _on_measure_answered(self, ev: Event, d: dict[str, Any]) -> None:
        response = self._response(d, ev.ts)
        response.answers[int(d["item"])] = int(d["answer"])
        response.ts = ev.ts

    def _on_measure_scored(self, ev: Event, d: dict[str, Any]) -> None:
        response = self._response(d, ev.ts)
        response.total = int(d["total"])
        response.band = str(d.get("band", ""))
        response.late = bool(d.get("late", False))

    def _on_safety_contact(self, ev: Event, d: dict[str, Any]) -> None:
        self.contacts[int(d["member_id"])] = str(d.get("contact", ""))

    def _on_checkin_location(self, ev: Event, d: dict[str, Any]) -> None:
        self.locations[int(d["member_id"])] = str(d.get("location", ""))

    # -- small rooms: breakout rooms and role-play (issue 13) ---------------

    def room_of(self, member_id: int | None) -> int:
        """The breakout room a member is in now: a participant's or guest's
        placement, a facilitator's visit; 0 (the main room) otherwise."""
        bo = self.breakout
        if bo is None or member_id is None:
            return 0
        for room in bo.rooms.values():
            if member_id in room.members or member_id in room.visitors:
                return room.number
        return 0

    def scene_for(self, member_id: int | None) -> Scene | None:
        """The scene running where a member is now (their room's, else the main room's)."""
        scene = self.scenes.get(self.room_of(member_id))
        return scene if scene is not None and not scene.ended else None

    def _room(self, number: int) -> BreakoutRoom | None:
        bo = self.breakout
        if bo is None or number <= 0:
            return None
        return bo.rooms.setdefault(number, BreakoutRoom(number))

    def _stay_from(self, member_id: int, room: int, seq: int) -> None:
        self._stay_end(member_id, seq - 1)
        self.stays.setdefault(member_id, []).append(Stay(room, seq))

    def _stay_end(self, member_id: int, seq: int) -> None:
        stays = self.stays.get(member_id)
        if stays and stays[-1].end is None:
            stays[-1] = Stay(stays[-1].room, stays[-1].start, seq)

    def _on_breakout_opened(self, ev: Event, d: dict[str, Any]) -> None:
        count = int(d.get("rooms", 1))
        self.breakout = Breakout(
            int(d.get("breakout_id", ev.seq)), count, int(d.get("minutes", 0)), str(d.get("prompt", "")),
            str(d.get("assign", "random")), ev.ts, float(d.get("ends_at", ev.ts)),
            rooms={n: BreakoutRoom(n) for n in range(1, count + 1)},
        )

    def _on_room_opened(self, ev: Event, d: dict[str, Any]) -> None:
        room = self._room(int(d["room"]))
        if room is None or self.breakout is None:
            return
        room.members = [int(m) for m in d.get("members", [])]
        for mid in room.members:
            self._stay_from(mid, room.number, ev.seq)
            self.breakout.placed.add(mid)

    def _on_room_joined(self, ev: Event, d: dict[str, Any]) -> None:
        room = self._room(int(d["room"]))
        if room is None or self.breakout is None:
            return
        mid = int(d["member_id"])
        for other in self.breakout.rooms.values():
            if mid in other.members:
                other.members.remove(mid)
        room.members = [int(m) for m in d.get("members", [])]
        if mid not in room.members:
            room.members.append(mid)
        self._stay_from(mid, room.number, ev.seq)
        self.breakout.placed.add(mid)

    def _on_room_left(self, ev: Event, d: dict[str, Any]) -> None:
        room = self._room(int(d["room"]))
        mid = int(d["member_id"])
        self._stay_end(mid, ev.seq)
        if room is not None:
            room.members = [int(m) for m in d.get("members", []) if int(m) != mid]

    def _on_room_visited(self, ev: Event, d: dict[str, Any]) -> None:
        bo = self.breakout
        if bo is None:
            return
        mid = int(d["member_id"])
        for other in bo.rooms.values():
            if mid in other.visitors:
                other.visitors.remove(mid)
        room = self._room(int(d["room"]))
        if room is not None and not d.get("left"):
            room.visitors.append(mid)

    def _on_room_warned(self, ev: Event, d: dict[str, Any]) -> None:
        room = self._room(int(d["room"]))
        if room is not None:
            room.warned = True

    def _on_room_drafted(self, ev: Event, d: dict[str, Any]) -> None:
        room = self._room(int(d["room"]))
        if room is not None:
            room.summary, room.summary_by = str(d.get("text", "")), int(d.get("member_id", ev.actor))

    def _on_breakout_broadcast(self, ev: Event, d: dict[str, Any]) -> None:
        name = f"{ev.actor_name or self.name_of(ev.actor)} to every room"
        self.chat.append(ChatLine(ev.seq, ev.actor, name, str(d.get("text", "")), "group", False, ev.ts, self._sid()))

    def _on_breakout_closed(self, ev: Event, d: dict[str, Any]) -> None:
        bo = self.breakout
        if bo is not None:
            self.last_rooms = {mid: room.number for room in bo.rooms.values() for mid in room.members}
        for mid in list(self.stays):
            self._stay_end(mid, ev.seq)
        self.breakout = None
        for number in [n for n in self.scenes if n > 0]:
            self.scenes[number].ended = True
        summaries = [f"Room {int(item.get('room', 0))}: {str(item.get('text', '')).rstrip('.')}." for item in d.get("summaries", []) if item.get("text")]
        if summaries:  # one chat line (one message id) holding every room's summary
            self.chat.append(ChatLine(ev.seq, 0, "Breakout summaries", " ".join(summaries), "group", False, ev.ts, self._sid()))

    def _on_roleplay_started(self, ev: Event, d: dict[str, Any]) -> None:
        room = int(d.get("room", 0))
        roles = [SceneRole(str(r.get("name", "")), bool(r.get("observer", False))) for r in d.get("roles", [])]
        scene = Scene(int(d.get("scene_id", ev.seq)), room, str(d.get("title", "")), str(d.get("setting", "")), roles)
        observer_roles = {r.name for r in roles if r.observer}
        for item in d.get("cast", []):
            mid, role = int(item["member_id"]), str(item["role"])
            scene.cast[mid] = role
            if role in observer_roles:
                scene.observers.add(mid)
        self.scenes[room] = scene

    def _scene(self, d: dict[str, Any]) -> Scene | None:
        scene = self.scenes.get(int(d.get("room", 0)))
        return scene if scene is not None and scene.scene_id == int(d.get("scene_id", 0)) else None

    def _on_roleplay_cue(self, ev: Event, d: dict[str, Any]) -> None:
        scene = self._scene(d)
        if scene is not None:
            scene.cues[int(d["member_id"])] = Cue(
                str(d.get("role", "")), str(d.get("cue", "")), bool(d.get("observer", False)), tuple(str(c) for c in d.get("checklist", [])),
            )

    def _on_roleplay_noted(self, ev: Event, d: dict[str, Any]) -> None:
        scene = self._scene(d)
        if scene is not None:
            scene.notes.setdefault(int(d["member_id"]), []).append(str(d.get("text", "")))

    def _on_roleplay_ended(self, ev: Event, d: dict[str, Any]) -> None:
        scene = self._scene(d)
        if scene is not None:
            scene.ended = True
            scene.debrief = [str(q) for q in d.get("debrief", [])]

    def _on_roleplay_shared(self, ev: Event, d: dict[str, Any]) -> None:
        scene = self._scene(d)
        if scene is not None:
            scene.shared[int(d["member_id"])] = [str(n) for n in d.get("notes", [])]


    # -- between sessions: attendance, the waiting room, the peer space ------

    def assignees(self, homework: Homework) -> list[int]:
        """The members a homework is for, as this reader knows them (reminders use it):
        those it names, else every active participant."""
        if homework.assigned_to is not None:
            return list(homework.assigned_to)
        return [e.member_id for e in self.active_participants()]

    def waiting_guests(self) -> list[RosterEntry]:
        """Guests waiting to be let into the live session, connected now, by name."""
        sid = self._sid()
        found = [self.roster[g] for g, s in self.waiting.items() if s == sid and g in self.roster]
        return sorted((e for e in found if e.status == "online" and not e.removed), key=lambda e: e.name.casefold())

    def last_attendance(self) -> tuple[SessionInfo | None, list[Any]]:
        """The newest session with an attendance record, and its rows."""
        for info in reversed(self.sessions):
            rows = self.attendance.get(info.session_id)
            if rows is not None:
                return info, rows
        return None, []

    def _on_attendance_recorded(self, ev: Event, d: dict[str, Any]) -> None:
        from .attendance import rows_from_wire

        self.attendance[int(d["session_id"])] = rows_from_wire(d.get("rows"))

    def _on_guest_waiting(self, ev: Event, d: dict[str, Any]) -> None:
        self.waiting[int(d["member_id"])] = int(d["session_id"])

    def _on_feed_posted(self, ev: Event, d: dict[str, Any]) -> None:
        mid = int(d["member_id"])
        self.feed.append(FeedPost(int(d.get("post_id", ev.seq)), mid, ev.actor_name or self.name_of(mid), str(d["text"]), ev.ts))

    def _on_resource_pinned(self, ev: Event, d: dict[str, Any]) -> None:
        rid = int(d.get("resource_id", ev.seq))
        self.resources[rid] = Resource(rid, str(d["title"]), str(d.get("link", "")), str(d.get("text", "")), ev.ts)

    def _on_feed_deleted(self, ev: Event, d: dict[str, Any]) -> None:
        pid = int(d["post_id"])
        self.feed = [p for p in self.feed if p.post_id != pid]

    def _on_resource_unpinned(self, ev: Event, d: dict[str, Any]) -> None:
        self.resources.pop(int(d["resource_id"]), None)
    # -- shared boards and mood history (issue 14 part B; protocol/board.py) --------

    def _record_mood(self, member_id: int, mood: Any, passed: bool) -> None:
        """One mood per member per session (a second check-in replaces the first)."""
        sid = self._sid()
        if sid is None:
            return
        value = None if passed or mood is None else int(mood)
        history = self.moods.setdefault(member_id, [])
        if history and history[-1][0] == sid:
            history[-1] = (sid, value)
        else:
            history.append((sid, value))

    def current_board(self) -> Board | None:
        """The newest board of the live session (else the newest board), or None."""
        if not self.boards:
            return None
        sid = self._sid()
        live = [b for b in self.boards.values() if sid is not None and b.session_id == sid]
        return (live or list(self.boards.values()))[-1]

    def card(self, card_id: int) -> Card | None:
        for board in self.boards.values():
            found = board.cards.get(card_id)
            if found is not None:
                return found
        return None

    def _on_board_opened(self, ev: Event, d: dict[str, Any]) -> None:
        bid = int(d.get("board_id", ev.seq))
        self.boards[bid] = Board(bid, str(d.get("title", "")), [str(c) for c in d.get("columns", [])], bool(d.get("anonymous", False)), self._sid())

    def _on_board_cleared(self, ev: Event, d: dict[str, Any]) -> None:
        board = self.boards.get(int(d["board_id"]))
        if board is None:
            return
        column = d.get("column")
        for card in board.cards.values():
            if column is None or card.column == int(column):
                card.removed = True

    def _on_card_added(self, ev: Event, d: dict[str, Any]) -> None:
        board = self.boards.get(int(d["board_id"]))
        if board is None:
            return
        cid = int(d.get("card_id", ev.seq))
        author = d.get("member_id", self.card_authors.pop(cid, None))
        board.cards[cid] = Card(cid, board.board_id, int(d.get("number", len(board.cards) + 1)), int(d.get("column", 0)), str(d.get("text", "")),
                                int(author) if author is not None else None)

    def _on_card_author(self, ev: Event, d: dict[str, Any]) -> None:
        card = self.card(int(d["card_id"]))
        if card is not None:
            card.author = int(d["member_id"])
        else:  # the relay sends it just before the card (the writer and the facilitators only)
            self.card_authors[int(d["card_id"])] = int(d["member_id"])

    def _on_card_edited(self, ev: Event, d: dict[str, Any]) -> None:
        card = self.card(int(d["card_id"]))
        if card is not None:
            card.text = str(d.get("text", ""))

    def _on_card_removed(self, ev: Event, d: dict[str, Any]) -> None:
        card = self.card(int(d["card_id"]))
        if card is not None:
            card.removed = True

    def _on_card_moved(self, ev: Event, d: dict[str, Any]) -> None:
        card = self.card(int(d["card_id"]))
        if card is not None:
            card.column = int(d.get("column", card.column))

    def _on_card_plussed(self, ev: Event, d: dict[str, Any]) -> None:
        card = self.card(int(d["card_id"]))
        if card is not None:
            card.plus += 1
            if d.get("member_id") is not None:
                card.plus_by.add(int(d["member_id"]))

    def _on_card_plus_by(self, ev: Event, d: dict[str, Any]) -> None:
        card = self.card(int(d["card_id"]))
        if card is not None:
            card.plus_by.add(int(d["member_id"]))

    def _on_card_merged(self, ev: Event, d: dict[str, Any]) -> None:
        card, into = self.card(int(d["card_id"])), self.card(int(d["into"]))
        if card is None or into is None:
            return
        card.removed, card.merged_into = True, into.card_id
        into.merged.append(card.text)
        into.merged.extend(card.merged)
        into.plus += card.plus
        into.plus_by |= card.plus_by


def is_private(event: Event) -> bool:
    """Whether an event reached only its subject and the facilitators."""
    return event.audience == MEMBER


def guest_visits(events: Iterable[Event], member_id: int) -> list[Visit]:
    """The sessions a guest attended, folded from a group's log (oldest first)."""
    state = GroupState()
    for event in events:
        if event.type in ("session.started", "session.ended", "guest.arrived"):
            state.apply(event)
        else:
            state.head_seq = max(state.head_seq, event.seq)
    return state.visits.get(member_id, [])


def visible_events(events: Iterable[Event], role: str, member_id: int) -> list[Event]:
    """The events of a group's log, in order, that one reader may see (export, audits)."""
    log = list(events)
    visits = guest_visits(log, member_id) if role == GUEST else []
    stays = room_stays(log, member_id)
    return [e for e in log if sees(role, member_id, e.audience, e.subject, e.seq, e.type, visits, stays)]


#: The events that decide who was in which breakout room when (issue 13).
ROOM_EVENTS = ("breakout.opened", "room.opened", "room.joined", "room.left", "breakout.closed")


def room_stays(events: Iterable[Event], member_id: int) -> list[Stay]:
    """A member's time in breakout rooms, folded from a group's log (oldest first)."""
    state = GroupState()
    for event in events:
        if event.type in ROOM_EVENTS:
            state.apply(event)
        else:
            state.head_seq = max(state.head_seq, event.seq)
    return state.stays.get(member_id, [])
