"""The session model, without I/O: every command kind, every refusal, every privacy split.

Commands go through the real validation (:func:`protocol.messages.parse_command`),
then :func:`server.rules.decide`; the test gives the drafts seqs the way the hub
does (replacing ``"$seq"``) and folds them into the server's
:class:`~protocol.state.GroupState`, so a whole session runs in memory. A
reader's view is the same log filtered through :func:`protocol.roles.visible_to`
and folded again, which is how the tests check that private content stays
private.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from protocol.errors import ErrorCode, ProtocolError
from protocol.events import EVENT_TYPES, SEQ, Draft, Event
from protocol.messages import COMMANDS, command_frame, parse_command
from protocol.roles import (
    EVERYONE,
    FACILITATOR,
    FACILITATORS,
    GUEST,
    MEMBER,
    MEMBERS,
    PARTICIPANT,
    PERMISSIONS,
    ROLES,
    visible_to,
)
from protocol.state import GroupState
from server.rules import Actor, arrival, decide

NOW = dt.datetime(2026, 11, 28, 18, 30, tzinfo=dt.UTC).timestamp()
TODAY = "2026-11-28"
YESTERDAY = "2026-11-27"
TOMORROW = "2026-11-29"

DANA = Actor(1, "Dana", FACILITATOR)
SAM = Actor(2, "Sam", PARTICIPANT)
ALEX = Actor(3, "Alex", PARTICIPANT)
RILEY = Actor(4, "Riley", PARTICIPANT)
JO = Actor(5, "Jo", GUEST)
CASEY = Actor(6, "Casey", FACILITATOR)  # co-facilitator
PEOPLE = (DANA, SAM, ALEX, RILEY, JO, CASEY)
BY_ROLE = {FACILITATOR: DANA, PARTICIPANT: SAM, GUEST: JO}

DECK = """title: Noticing feelings

# Feelings are signals
They pass.
Notes: Ask who noticed one this week.
---
# The wave
Urges rise, peak and fall.
???
Draw the wave.
---
Plain first line becomes the title
"""


def _substitute(value: Any, seq: int) -> Any:
    if value == SEQ:
        return seq
    if isinstance(value, dict):
        return {k: _substitute(v, seq) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, seq) for v in value]
    return value


class Room:
    """A group in memory: the server's state, its log, and the hub's sequencing."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now
        self.state = GroupState()
        self.state.set_roster([{"id": a.member_id, "name": a.name, "role": a.role} for a in PEOPLE])
        self.log: list[Event] = []
        self._ids = itertools.count(1)

    def decide(self, actor: Actor, kind: str, data: dict[str, Any] | None = None) -> list[Draft]:
        command = parse_command(command_frame(kind, f"c{next(self._ids)}", data))
        return decide(self.state, actor, command, self.now)

    def do(self, actor: Actor, kind: str, data: dict[str, Any] | None = None) -> list[Event]:
        return self._log(self.decide(actor, kind, data), actor.member_id, actor.name)

    def _log(self, drafts: list[Draft], actor_id: int, actor_name: str) -> list[Event]:
        """Sequence ``drafts`` as the hub does (replacing ``"$seq"``) and fold them in."""
        first = self.state.head_seq + 1
        events = [
            Event(first + i, d.type, self.now, actor_id, actor_name, d.audience, d.subject, _substitute(d.data, first))
            for i, d in enumerate(drafts)
        ]
        for event in events:
            self.state.apply(event)
            self.log.append(event)
        return events

    def refuse(self, actor: Actor, kind: str, data: dict[str, Any] | None = None) -> ProtocolError:
        head = self.state.head_seq
        with pytest.raises(ProtocolError) as caught:
            self.do(actor, kind, data)
        assert self.state.head_seq == head
        err = caught.value
        assert err.message.endswith(".") and "\n" not in err.message and "Traceback" not in err.message
        return err

    def view(self, actor: Actor) -> GroupState:
        """What ``actor``'s client would fold from the same log."""
        state = GroupState()
        if actor.role != GUEST:
            state.set_roster([{"id": a.member_id, "name": a.name, "role": a.role} for a in PEOPLE])
        for event in self.log:
            if visible_to(event.audience, event.subject, actor.role, actor.member_id):
                state.apply(event)
        return state

    def seen_by(self, actor: Actor) -> list[Event]:
        return [e for e in self.log if visible_to(e.audience, e.subject, actor.role, actor.member_id)]

    # Shortcuts that return the id of what they created.

    def start(self, title: str = "Week 3") -> int:
        seq = self.do(DANA, "session.start", {"title": title})[0].seq
        self.by_relay(arrival(self.state, JO.member_id))  # Jo is here: the relay logs her arrival (Hub.arrive)
        return seq

    def by_relay(self, drafts: list[Draft]) -> list[Event]:
        """Events the relay decides itself (actor 0)."""
        return self._log(drafts, 0, "")

    def poll(self, kind: str = "single", options: list[str] | None = None, **extra: Any) -> int:
        if options is None:
            options = [] if kind == "scale" else ["Yes", "No", "Not sure"]
        data = {"question": "How was the week?", "poll_kind": kind, "options": options, **extra}
        return self.do(DANA, "poll.open", data)[0].seq

    def say(self, actor: Actor, text: str = "hello", to: str = "group") -> int:
        return self.do(actor, "chat.send", {"text": text, "to": to})[0].seq

    def homework(self, kind: str = "text", items: list[str] | None = None, due: str = TOMORROW) -> int:
        data = {"title": "Practice", "homework_kind": kind, "items": items or [], "due": due}
        return self.do(DANA, "homework.assign", data)[0].seq

    def deck(self) -> int:
        return self.do(DANA, "deck.load", {"markdown": DECK})[0].seq


@pytest.fixture
def room() -> Room:
    return Room()


@pytest.fixture
def live(room: Room) -> Room:
    room.start()
    return room


# -- the permission table ------------------------------------------------------


def _prepared(kind: str, actor: Actor) -> tuple[Room, dict[str, Any]]:
    """A room in which ``kind`` from ``actor`` should succeed, and the command's data."""
    room = Room()
    if kind == "session.start":
        return room, {"title": "Week 1"}
    # between sessions (issue 15 part B)
    if kind == "feed.post":
        return room, {"text": "Walked twice this week."}
    if kind == "guest.admit":
        room.do(DANA, "session.start", {"title": "Family", "kind": "family"})
        room.state.roster[JO.member_id].status = "online"
        return room, {"member_id": JO.member_id}
    if kind == "resource.pin":
        return room, {"title": "Crisis line", "text": "Call 988."}
    if kind == "feed.delete":
        return room, {"post_id": room.do(SAM, "feed.post", {"text": "hello"})[0].seq}
    if kind == "resource.unpin":
        return room, {"resource_id": room.do(DANA, "resource.pin", {"title": "Crisis line", "text": "Call 988."})[0].seq}
    room.start()
    if kind == "session.end":
        return room, {"summary": "Good work."}
    if kind == "phase.set":
        return room, {"phase": "discussion"}
    if kind == "checkin.submit":
        return room, {"mood": 6, "feelings": ["calm"]}
    if kind == "deck.load":
        return room, {"markdown": DECK}
    if kind == "slide.goto":
        room.deck()
        return room, {"index": 2}
    if kind in ("poll.vote", "poll.close", "poll.reveal"):
        pid = room.poll()
        return room, {"poll_id": pid, "choices": [0]} if kind == "poll.vote" else {"poll_id": pid}
    if kind == "poll.open":
        return room, {"question": "Sleep?", "poll_kind": "scale"}
    if kind == "chat.send":
        return room, {"text": "hi"}
    if kind == "chat.reply":
        return room, {"member_id": SAM.member_id, "text": "I saw your note; let's talk after."}
    if kind == "chat.delete":
        return room, {"message_id": room.say(ALEX)}
    if kind == "hand.raise":
        return room, {}
    if kind == "hand.lower":
        if actor.role == FACILITATOR:
            room.do(ALEX, "hand.raise")
            return room, {"member_id": ALEX.member_id}
        room.do(actor, "hand.raise")
        return room, {}
    if kind == "homework.assign":
        return room, {"title": "Log", "homework_kind": "emotion_log", "due": TOMORROW}
    if kind == "homework.submit":
        return room, {"homework_id": room.homework(), "text": "Done."}
    if kind in ("member.mute", "member.remove"):
        return room, {"member_id": RILEY.member_id}
    if kind == "urgent.raise":
        return room, {"text": "I need to talk to someone now."}
    if kind == "urgent.acknowledge":
        return room, {"alert_id": room.do(SAM, "urgent.raise", {"text": "help"})[0].seq}
    if kind == "measure.give":
        return room, {"measure": "phq9"}
    if kind == "measure.answer":
        return room, {"measure_id": room.do(DANA, "measure.give", {"measure": "gad7"})[0].seq, "item": 0, "answer": 1}
    if kind == "safety.contact":
        return room, {"contact": "Lee (sister) 555-0100"} if actor.role != FACILITATOR else {"member_id": SAM.member_id, "contact": "Lee 555-0100"}
    # -- the facilitator's kit (issue 14 part A) --
    if kind == "journal.open":
        return room, {"title": "What helped this week?", "minutes": 5}
    if kind in ("journal.close", "journal.write", "journal.share"):
        pid = room.do(DANA, "journal.open", {"title": "What helped?"})[0].seq
        if kind == "journal.share":
            room.do(actor if actor.role == PARTICIPANT else SAM, "journal.write", {"prompt_id": pid, "answers": ["a walk"]})
            return room, {"prompt_id": pid, "to": "facilitators"}
        return room, {"prompt_id": pid} if kind == "journal.close" else {"prompt_id": pid, "answers": ["a walk"]}
    if kind.startswith("goround."):
        room.state.update_member({"id": SAM.member_id}, status="online")
        if kind == "goround.start":
            return room, {"question": "One word for today?"}
        room.do(DANA, "goround.start", {"question": "One word for today?"})
        return room, {}
    if kind in ("member.nudge", "member.slow"):
        return room, {"member_id": RILEY.member_id} | ({"seconds": 30} if kind == "member.slow" else {})
    if kind == "reminders.set":  # issue 15a
        return room, {"consent": True, "email": "sam@example.org", "sms": None, "lead": 120, "quiet": "22:00-07:00"}
    # -- small rooms: breakout rooms and role-play (issue 13) --
    if kind.startswith(("breakout.", "roleplay.")):
        for who in (SAM, ALEX, RILEY):
            room.state.update_member({"id": who.member_id}, status="online")
        if kind == "breakout.open":
            return room, {"rooms": 2, "minutes": 10, "prompt": "One trigger."}
        if kind.startswith("breakout."):
            room.do(DANA, "breakout.open", {"rooms": 2, "minutes": 10})
            return room, {
                "breakout.place": {"member_id": SAM.member_id, "room": 3 - room.state.room_of(SAM.member_id)},
                "breakout.visit": {"room": 1},
                "breakout.broadcast": {"text": "Two more minutes."},
                "breakout.recall": {},
                "breakout.summary": {"text": "We named triggers."},
            }[kind]
        scene = {"title": "Raise", "roles": [{"name": "asker"}, {"name": "manager"}, {"name": "observer", "observer": True}]}
        if kind == "roleplay.start":
            return room, scene
        room.do(DANA, "roleplay.start", {**scene, "cast": [{"member_id": SAM.member_id, "role": 2 if kind in ("roleplay.note", "roleplay.share") else 0}]})
        if kind == "roleplay.share":
            room.do(SAM, "roleplay.note", {"text": "Good eye contact."})
        return room, {"roleplay.end": {}, "roleplay.say": {"text": "Hello."}, "roleplay.note": {"text": "Calm."}, "roleplay.share": {}}[kind]
    # shared boards (issue 14 part B)
    if kind.startswith(("board.", "card.")):
        if kind == "board.open":
            return room, {"title": "What helps", "columns": ["Helps", "Will try"]}
        board = room.do(DANA, "board.open", {"title": "What helps", "columns": ["Helps", "Will try"], "anonymous": True})[0].seq
        if kind == "card.add":
            return room, {"board_id": board, "column": 0, "text": "A walk"}
        writer = actor if actor.role != GUEST else SAM
        card = room.do(writer, "card.add", {"board_id": board, "column": 0, "text": "A walk"})[0].seq
        other = room.do(ALEX, "card.add", {"board_id": board, "column": 0, "text": "A call"})[0].seq
        return room, {
            "board.clear": {"board_id": board},
            "card.edit": {"card_id": card, "text": "A long walk"},
            "card.remove": {"card_id": card},
            "card.plus": {"card_id": other},
            "card.move": {"card_id": card, "column": 1},
            "card.merge": {"card_id": card, "into": other},
        }[kind]
    raise AssertionError(f"no example for {kind}")


def test_every_command_kind_has_a_permission_entry():
    assert set(PERMISSIONS) == set(COMMANDS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_permission_table(kind: str, role: str):
    actor = BY_ROLE[role]
    room, data = _prepared(kind, actor)
    if role in PERMISSIONS[kind]:
        assert room.do(actor, kind, data), f"{role} {kind} caused no event"
    else:
        err = room.refuse(actor, kind, data)
        assert err.code == ErrorCode.FORBIDDEN
        assert err.message.startswith("Only ")


def test_forbidden_sentence_names_who_may():
    room = Room()
    room.start()
    room.deck()
    assert room.refuse(SAM, "slide.goto", {"index": 1}).message == "Only facilitators can move slides."
    assert room.refuse(DANA, "poll.vote", {"poll_id": 1, "choices": [0]}).message == "Only participants and guests can vote in polls."
    assert room.refuse(JO, "checkin.submit", {"passed": True}).message == "Only participants can check in."


@pytest.mark.parametrize("kind", ["chat.send", "hand.raise", "checkin.submit", "poll.vote"])
def test_a_removed_member_can_do_nothing(live: Room, kind: str):
    pid = live.poll()
    live.do(DANA, "member.remove", {"member_id": SAM.member_id})
    data = {"chat.send": {"text": "hi"}, "hand.raise": {}, "checkin.submit": {"passed": True}, "poll.vote": {"poll_id": pid, "choices": [0]}}[kind]
    err = live.refuse(SAM, kind, data)
    assert err.code == ErrorCode.FORBIDDEN and "removed" in err.message


# -- sessions and phases ---------------------------------------------------------


def test_session_start_and_end(room: Room):
    (started,) = room.do(DANA, "session.start", {"title": "  Week 3  "})
    assert (started.type, started.audience) == ("session.started", EVERYONE)
    assert started.data == {"session_id": started.seq, "title": "Week 3", "kind": "group"}
    assert room.state.session is not None and room.state.session.session_id == started.seq
    recorded, ended = room.do(DANA, "session.end", {"summary": "We named urges."})
    assert (recorded.type, recorded.audience) == ("attendance.recorded", FACILITATORS)
    assert ended.data == {"session_id": started.seq, "summary": "We named urges."}
    assert room.state.session is None and room.state.sessions[0].summary == "We named urges."


def test_an_untitled_session_is_numbered(room: Room):
    room.do(DANA, "session.start")
    room.do(DANA, "session.end")
    (second,) = room.do(DANA, "session.start")
    assert second.data["title"] == "Session 2"


def test_session_conflicts(room: Room):
    assert room.refuse(DANA, "session.end").code == ErrorCode.CONFLICT
    room.start("Week 3")
    err = room.refuse(CASEY, "session.start", {"title": "Again"})
    assert err.code == ErrorCode.CONFLICT and "Week 3" in err.message


def test_session_end_closes_open_polls_first(live: Room):
    open_a, open_b = live.poll(), live.poll("scale")
    closed = live.poll()
    live.do(DANA, "poll.close", {"poll_id": closed})
    events = live.do(DANA, "session.end")
    assert [e.type for e in events] == ["poll.closed", "poll.closed", "attendance.recorded", "session.ended"]
    assert {e.data["poll_id"] for e in events[:2]} == {open_a, open_b}
    assert all(p.status == "closed" for p in live.state.polls.values())


def test_ending_with_reveal_shows_every_unrevealed_poll_of_the_session(live: Room):
    quiz = live.poll("quiz", ["a", "b"], correct=1)
    scale = live.poll("scale")
    closed = live.poll()
    shown = live.poll()
    live.do(SAM, "poll.vote", {"poll_id": quiz, "choices": [1]})
    live.do(DANA, "poll.close", {"poll_id": closed})
    live.do(DANA, "poll.reveal", {"poll_id": shown})
    events = live.do(DANA, "session.end", {"summary": "Thanks.", "reveal": True})
    assert [(e.type, e.data.get("poll_id")) for e in events] == [
        ("poll.closed", quiz), ("poll.revealed", quiz), ("poll.closed", scale), ("poll.revealed", scale),
        ("poll.revealed", closed), ("attendance.recorded", None), ("session.ended", None),
    ]
    events = [e for e in events if e.type != "attendance.recorded"]  # the record is for the facilitators
    assert all(e.audience == EVERYONE for e in events)
    sams = live.view(SAM).polls
    assert sams[quiz].status == "revealed" and sams[quiz].correct == 1 and sams[quiz].counts == [0, 1]
    assert {p.status for p in sams.values()} == {"revealed"}


def test_phase_set(room: Room):
    err = room.refuse(DANA, "phase.set", {"phase": "checkin"})
    assert err.code == ErrorCode.CONFLICT and "start one" in err.message
    room.start()
    (changed,) = room.do(DANA, "phase.set", {"phase": "checkin"})
    assert (changed.type, changed.audience, changed.data) == ("phase.changed", EVERYONE, {"phase": "checkin"})
    assert room.do(CASEY, "phase.set", {"phase": "checkin"}) == []  # already there: no event
    assert room.do(DANA, "phase.set", {"phase": "closing"})[0].data == {"phase": "closing"}
    assert room.state.phase == "closing"


# -- check-in --------------------------------------------------------------------


def test_checkin_needs_a_session(room: Room):
    err = room.refuse(SAM, "checkin.submit", {"mood": 5})
    assert err.code == ErrorCode.CONFLICT and "facilitator" in err.message


def test_checkin_with_a_private_note_is_split(live: Room):
    events = live.do(SAM, "checkin.submit", {"mood": 3, "feelings": ["tired", "Tired", "hopeful"], "note": " rough night ", "note_to": "facilitators"})
    submitted, note = events
    assert (submitted.type, submitted.audience, submitted.subject) == ("checkin.submitted", MEMBERS, None)
    assert submitted.data == {"member_id": SAM.member_id, "mood": 3, "feelings": ["tired", "hopeful"], "passed": False, "note": "", "note_private": False}
    assert (note.type, note.audience, note.subject) == ("checkin.note", MEMBER, SAM.member_id)
    assert note.data == {"member_id": SAM.member_id, "note": "rough night"}
    # Who sees the note: Sam and the facilitators; never Alex, never the guest.
    assert live.view(DANA).checkins[SAM.member_id].note == "rough night"
    assert live.view(SAM).checkins[SAM.member_id].note == "rough night"
    # Other members are not even told that there is a private note (issue 12 item 8).
    alex_view = live.view(ALEX).checkins[SAM.member_id]
    assert (alex_view.note, alex_view.note_private, alex_view.mood) == ("", False, 3)
    assert live.view(DANA).checkins[SAM.member_id].note_private and live.view(SAM).checkins[SAM.member_id].note_private
    assert live.view(JO).checkins == {}
    assert all("rough night" not in repr(e.data) for e in live.seen_by(ALEX) + live.seen_by(JO))


def test_checkin_with_a_group_note_is_one_event(live: Room):
    (submitted,) = live.do(ALEX, "checkin.submit", {"mood": 8, "note": "Slept well!", "note_to": "group"})
    assert submitted.data["note"] == "Slept well!" and submitted.data["note_private"] is False
    assert live.view(RILEY).checkins[ALEX.member_id].note == "Slept well!"


def test_checkin_pass_needs_no_mood_and_drops_words(live: Room):
    (submitted,) = live.do(SAM, "checkin.submit", {"passed": True, "mood": 4, "feelings": ["numb"]})
    assert submitted.data["passed"] is True and submitted.data["mood"] is None and submitted.data["feelings"] == []


def test_checkin_needs_a_mood_unless_passing(live: Room):
    err = live.refuse(SAM, "checkin.submit", {"feelings": ["ok"]})
    assert (err.code, err.message) == (ErrorCode.INVALID, "Choose a mood from 0 to 10, or pass.")


def test_checkin_resubmission_replaces_the_note(live: Room):
    live.do(SAM, "checkin.submit", {"mood": 2, "note": "private thing"})
    live.do(SAM, "checkin.submit", {"mood": 4})
    checkin = live.state.checkins[SAM.member_id]
    assert (checkin.mood, checkin.note, checkin.note_private) == (4, "", False)
    assert len(live.state.checkins) == 1


def test_an_empty_note_is_not_private(live: Room):
    (submitted,) = live.do(SAM, "checkin.submit", {"mood": 5, "note": "   "})
    assert submitted.data["note"] == "" and submitted.data["note_private"] is False


def test_a_muted_member_checks_in_with_a_private_note_only(live: Room):
    live.do(DANA, "member.mute", {"member_id": SAM.member_id})
    err = live.refuse(SAM, "checkin.submit", {"mood": 5, "note": "hi all", "note_to": "group"})
    assert err.code == ErrorCode.FORBIDDEN and "facilitators" in err.message
    assert len(live.do(SAM, "checkin.submit", {"mood": 5, "note": "hi", "note_to": "facilitators"})) == 2
    assert len(live.do(SAM, "checkin.submit", {"mood": 5})) == 1


# -- slides ------------------------------------------------------------------------


def test_deck_load_splits_notes_from_slides(room: Room):
    loaded, notes = room.do(DANA, "deck.load", {"markdown": DECK})  # no session needed
    assert (loaded.type, loaded.audience, notes.type, notes.audience) == ("deck.loaded", EVERYONE, "deck.notes", FACILITATORS)
    assert loaded.data["deck_id"] == notes.data["deck_id"] == loaded.seq
    assert loaded.data["title"] == "Noticing feelings"
    assert [s["title"] for s in loaded.data["slides"]] == ["Feelings are signals", "The wave", "Plain first line becomes the title"]
    assert notes.data["notes"] == ["Ask who noticed one this week.", "Draw the wave.", ""]
    assert "Ask who noticed" not in repr(loaded.data)
    assert room.view(SAM).notes == [] and room.view(JO).notes == []
    assert room.view(CASEY).notes[1] == "Draw the wave."


def test_deck_load_passes_parse_errors_through(room: Room):
    err = room.refuse(DANA, "deck.load", {"markdown": "---\n---\n"})
    assert err.code == ErrorCode.INVALID and "no slides" in err.message


def test_slide_goto(live: Room):
    err = live.refuse(DANA, "slide.goto", {"index": 0})
    assert err.code == ErrorCode.NOT_FOUND and "load a deck" in err.message
    live.deck()
    (changed,) = live.do(DANA, "slide.goto", {"index": 2})
    assert (changed.type, changed.audience, changed.data) == ("slide.changed", EVERYONE, {"index": 2})
    assert live.do(DANA, "slide.goto", {"index": 2}) == []
    err = live.refuse(DANA, "slide.goto", {"index": 11})
    assert (err.code, err.message) == (ErrorCode.NOT_FOUND, "There is no slide 12; the deck has 3 slides.")
    live.deck()  # a new deck starts at its first slide
    assert live.state.slide_index == 0


# -- polls -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, options, correct, fragment",
    [
        ("single", ["Only one"], None, "at least 2"),
        ("multiple", [], None, "at least 2"),
        ("quiz", ["A"], 0, "at least 2"),
        ("single", ["Yes", "yes"], None, "read the same"),
        ("scale", ["1", "2"], None, "no options"),
        ("quiz", ["A", "B"], None, "correct answer"),
        ("quiz", ["A", "B"], 2, "correct answer"),
        ("single", ["A", "B"], 0, "Only a quiz"),
        ("scale", [], 3, "Only a quiz"),
    ],
)
def test_poll_open_refusals(live: Room, kind, options, correct, fragment):
    err = live.refuse(DANA, "poll.open", {"question": "Q?", "poll_kind": kind, "options": options, "correct": correct})
    assert err.code == ErrorCode.INVALID and fragment in err.message


def test_poll_open_needs_a_session(room: Room):
    assert room.refuse(DANA, "poll.open", {"question": "Q?", "poll_kind": "scale"}).code == ErrorCode.CONFLICT


def test_quiz_key_reaches_facilitators_only(live: Room):
    opened, key = live.do(DANA, "poll.open", {"question": "Which is a feeling?", "poll_kind": "quiz", "options": ["Table", "Joy"], "correct": 1})
    assert opened.audience == EVERYONE and "correct" not in opened.data
    assert opened.data == {"poll_id": opened.seq, "question": "Which is a feeling?", "poll_kind": "quiz", "options": ["Table", "Joy"], "anonymous": True}
    assert (key.type, key.audience, key.data) == ("poll.key", FACILITATORS, {"poll_id": opened.seq, "correct": 1})
    assert live.view(SAM).polls[opened.seq].correct is None
    assert live.view(JO).polls[opened.seq].correct is None
    assert live.view(CASEY).polls[opened.seq].correct == 1


@pytest.mark.parametrize(
    "kind, choices, ok",
    [
        ("single", [0], True),
        ("single", [2], True),
        ("single", [3], False),
        ("single", [0, 1], False),
        ("quiz", [1], True),
        ("quiz", [0, 1], False),
        ("multiple", [2, 0], True),
        ("multiple", [0, 1, 2], True),
        ("multiple", [1, 1], False),
        ("multiple", [0, 5], False),
        ("scale", [0], True),
        ("scale", [10], True),
        ("scale", [3, 4], False),
    ],
)
def test_poll_vote_choices(live: Room, kind, choices, ok):
    pid = live.poll(kind, correct=1 if kind == "quiz" else None)
    if ok:
        (voted,) = live.do(SAM, "poll.vote", {"poll_id": pid, "choices": choices})
        assert (voted.type, voted.audience, voted.subject) == ("poll.voted", MEMBER, SAM.member_id)
        assert voted.data == {"poll_id": pid, "member_id": SAM.member_id, "choices": sorted(choices)}
    else:
        assert live.refuse(SAM, "poll.vote", {"poll_id": pid, "choices": choices}).code == ErrorCode.INVALID


def test_poll_vote_refusals(live: Room):
    assert live.refuse(SAM, "poll.vote", {"poll_id": 999, "choices": [0]}).code == ErrorCode.NOT_FOUND
    pid = live.poll()
    live.do(DANA, "poll.close", {"poll_id": pid})
    assert live.refuse(SAM, "poll.vote", {"poll_id": pid, "choices": [0]}).code == ErrorCode.CONFLICT


def test_a_revote_replaces_and_votes_stay_private(live: Room):
    pid = live.poll()
    live.do(SAM, "poll.vote", {"poll_id": pid, "choices": [0]})
    live.do(SAM, "poll.vote", {"poll_id": pid, "choices": [1]})
    live.do(JO, "poll.vote", {"poll_id": pid, "choices": [1]})
    assert live.state.polls[pid].votes == {SAM.member_id: [1], JO.member_id: [1]}
    assert live.view(ALEX).polls[pid].votes == {}
    assert live.view(SAM).polls[pid].votes == {SAM.member_id: [1]}
    assert live.view(JO).polls[pid].votes == {JO.member_id: [1]}


def test_poll_close(live: Room):
    assert live.refuse(DANA, "poll.close", {"poll_id": 77}).code == ErrorCode.NOT_FOUND
    pid = live.poll()
    (closed,) = live.do(DANA, "poll.close", {"poll_id": pid})
    assert (closed.type, closed.audience, closed.data) == ("poll.closed", EVERYONE, {"poll_id": pid})
    assert live.refuse(DANA, "poll.close", {"poll_id": pid}).code == ErrorCode.CONFLICT


def test_reveal_an_open_named_poll(live: Room):
    pid = live.poll("multiple", anonymous=False)
    live.do(SAM, "poll.vote", {"poll_id": pid, "choices": [0, 2]})
    live.do(ALEX, "poll.vote", {"poll_id": pid, "choices": [0]})
    live.do(JO, "poll.vote", {"poll_id": pid, "choices": [2]})
    closed, revealed = live.do(DANA, "poll.reveal", {"poll_id": pid})
    assert closed.type == "poll.closed" and revealed.audience == EVERYONE
    assert revealed.data == {
        "poll_id": pid,
        "counts": [2, 0, 2],
        "total": 3,
        "correct": None,
        "names": {"0": ["Alex", "Sam"], "1": [], "2": ["Jo", "Sam"]},
    }
    view = live.view(RILEY)
    assert view.polls[pid].status == "revealed" and view.polls[pid].tally() == [2, 0, 2] and view.polls[pid].voters() == 3
    assert live.refuse(DANA, "poll.reveal", {"poll_id": pid}).code == ErrorCode.CONFLICT


def test_reveal_a_closed_anonymous_quiz_and_a_scale(live: Room):
    quiz = live.poll("quiz", ["A", "B", "C"], correct=2)
    live.do(SAM, "poll.vote", {"poll_id": quiz, "choices": [2]})
    live.do(DANA, "poll.close", {"poll_id": quiz})
    (revealed,) = live.do(DANA, "poll.reveal", {"poll_id": quiz})
    assert revealed.data == {"poll_id": quiz, "counts": [0, 0, 1], "total": 1, "correct": 2, "names": None}
    assert live.view(ALEX).polls[quiz].correct == 2  # everyone learns the answer once revealed
    scale = live.poll("scale")
    live.do(ALEX, "poll.vote", {"poll_id": scale, "choices": [7]})
    (_, revealed) = live.do(DANA, "poll.reveal", {"poll_id": scale})
    assert len(revealed.data["counts"]) == 11 and revealed.data["counts"][7] == 1
    assert live.refuse(DANA, "poll.reveal", {"poll_id": 4242}).code == ErrorCode.NOT_FOUND


# -- chat and hands ----------------------------------------------------------------


def test_chat_to_the_group(live: Room):
    (posted,) = live.do(SAM, "chat.send", {"text": "  thanks everyone  ", "me": True})
    assert (posted.type, posted.audience, posted.subject) == ("chat.posted", EVERYONE, None)
    assert posted.data == {"message_id": posted.seq, "member_id": SAM.member_id, "text": "thanks everyone", "to": "group", "me": True}
    assert live.view(JO).visible_chat()[0].text == "thanks everyone"


def test_private_line_to_the_facilitators(live: Room):
    (posted,) = live.do(SAM, "chat.send", {"text": "can we talk after?", "to": "facilitators"})
    assert (posted.audience, posted.subject) == (MEMBER, SAM.member_id)
    (staff,) = live.do(DANA, "chat.send", {"text": "Sam asked to talk", "to": "facilitators"})
    assert (staff.audience, staff.subject) == (FACILITATORS, None)
    assert [c.text for c in live.view(CASEY).visible_chat()] == ["can we talk after?", "Sam asked to talk"]
    assert [c.text for c in live.view(SAM).visible_chat()] == ["can we talk after?"]
    assert live.view(ALEX).visible_chat() == [] and live.view(JO).visible_chat() == []


def test_a_facilitator_replies_privately_to_one_member_and_the_facilitators(live: Room):
    asked = live.say(SAM, "can we talk after?", to="facilitators")
    (reply,) = live.do(DANA, "chat.reply", {"member_id": SAM.member_id, "text": " Yes, stay on after group. "})
    assert (reply.type, reply.audience, reply.subject) == ("chat.posted", MEMBER, SAM.member_id)
    assert reply.data == {"message_id": reply.seq, "member_id": DANA.member_id, "text": "Yes, stay on after group.",
                          "to": "member", "thread": SAM.member_id, "me": False}
    # Sam's thread with the facilitators holds both lines, for Sam and for every facilitator.
    for reader in (SAM, CASEY, DANA):
        thread = [(c.message_id, c.thread) for c in live.view(reader).visible_chat()]
        assert thread == [(asked, SAM.member_id), (reply.seq, SAM.member_id)], reader.name
    assert live.view(ALEX).visible_chat() == [] and live.view(JO).visible_chat() == []
    # Deleting the reply tells only its audience.
    (deleted,) = live.do(DANA, "chat.delete", {"message_id": reply.seq})
    assert (deleted.audience, deleted.subject) == (MEMBER, SAM.member_id)


def test_a_private_reply_needs_a_current_member_who_is_not_a_facilitator(live: Room):
    assert live.refuse(SAM, "chat.reply", {"member_id": ALEX.member_id, "text": "hi"}).code == ErrorCode.FORBIDDEN
    err = live.refuse(DANA, "chat.reply", {"member_id": 99, "text": "hi"})
    assert err.code == ErrorCode.NOT_FOUND and err.message.endswith(".")
    err = live.refuse(DANA, "chat.reply", {"member_id": CASEY.member_id, "text": "hi"})
    assert err.code == ErrorCode.INVALID and "Casey" in err.message
    live.do(DANA, "member.remove", {"member_id": RILEY.member_id})
    err = live.refuse(DANA, "chat.reply", {"member_id": RILEY.member_id, "text": "hi"})
    assert err.code == ErrorCode.CONFLICT and "Riley" in err.message
    assert live.do(DANA, "chat.reply", {"member_id": JO.member_id, "text": "welcome, Jo"})  # a guest's thread too


def test_chat_refusals(room: Room):
    assert room.refuse(SAM, "chat.send", {"text": "\u3000\t "}).code == ErrorCode.INVALID
    err = room.refuse(JO, "chat.send", {"text": "hello?"})
    assert err.code == ErrorCode.CONFLICT  # guests chat only during a session
    assert room.do(SAM, "chat.send", {"text": "between sessions"})  # members may
    room.start()
    assert room.do(JO, "chat.send", {"text": "hello"})


def test_a_whitespace_message_is_refused(live: Room):
    # parse_command strips min_len fields, so the model's own check is reached
    # only through a Command built by hand.
    from protocol.messages import Command

    command = Command("chat.send", "c", {"text": " \n ", "to": "group", "me": False})
    with pytest.raises(ProtocolError) as caught:
        decide(live.state, SAM, command, NOW)
    assert caught.value.code == ErrorCode.INVALID


def test_a_muted_member_may_still_write_to_the_facilitators(live: Room):
    live.do(DANA, "member.mute", {"member_id": SAM.member_id})
    err = live.refuse(SAM, "chat.send", {"text": "hi"})
    assert err.code == ErrorCode.FORBIDDEN and "privately" in err.message
    assert live.refuse(SAM, "hand.raise").code == ErrorCode.FORBIDDEN
    assert live.do(SAM, "chat.send", {"text": "why was I muted?", "to": "facilitators"})
    live.do(DANA, "member.mute", {"member_id": SAM.member_id, "muted": False})
    assert live.do(SAM, "chat.send", {"text": "thanks"})


@pytest.mark.parametrize(
    "sender, to, audience, subject",
    [
        (SAM, "group", EVERYONE, None),
        (SAM, "facilitators", MEMBER, SAM.member_id),
        (JO, "facilitators", MEMBER, JO.member_id),
        (DANA, "facilitators", FACILITATORS, None),
        (DANA, "group", EVERYONE, None),
    ],
)
def test_chat_delete_has_the_messages_audience(live: Room, sender, to, audience, subject):
    mid = live.say(sender, "oops", to)
    (deleted,) = live.do(CASEY, "chat.delete", {"message_id": mid})
    assert (deleted.type, deleted.audience, deleted.subject, deleted.data) == ("chat.deleted", audience, subject, {"message_id": mid})
    assert live.state.visible_chat() == []
    assert live.refuse(DANA, "chat.delete", {"message_id": mid}).code == ErrorCode.NOT_FOUND
    assert live.refuse(DANA, "chat.delete", {"message_id": 9999}).code == ErrorCode.NOT_FOUND


def test_hands(room: Room):
    assert room.refuse(SAM, "hand.raise").code == ErrorCode.CONFLICT
    room.start()
    (raised,) = room.do(SAM, "hand.raise")
    assert (raised.type, raised.audience, raised.data) == ("hand.raised", EVERYONE, {"member_id": SAM.member_id})
    err = room.refuse(SAM, "hand.raise")
    assert err.code == ErrorCode.CONFLICT and err.message.startswith("Your hand is already up")
    room.do(JO, "hand.raise")
    room.do(ALEX, "hand.raise")
    assert room.state.hands == [SAM.member_id, JO.member_id, ALEX.member_id]
    assert room.refuse(ALEX, "hand.lower", {"member_id": SAM.member_id}).code == ErrorCode.FORBIDDEN
    assert room.do(ALEX, "hand.lower", {"member_id": ALEX.member_id})[0].data == {"member_id": ALEX.member_id}
    assert room.refuse(ALEX, "hand.lower").code == ErrorCode.CONFLICT
    assert room.do(JO, "hand.lower")[0].data == {"member_id": JO.member_id}
    assert room.do(DANA, "hand.lower", {"member_id": SAM.member_id})[0].data == {"member_id": SAM.member_id}
    assert room.state.hands == []
    assert room.refuse(DANA, "hand.lower", {"member_id": SAM.member_id}).code == ErrorCode.CONFLICT
    assert room.refuse(DANA, "hand.lower", {"member_id": 99}).code == ErrorCode.NOT_FOUND
    assert room.refuse(DANA, "hand.lower").code == ErrorCode.CONFLICT


# -- homework --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, items, due, fragment",
    [
        ("checklist", [], TOMORROW, "at least one item"),
        ("text", ["a"], TOMORROW, "Only checklist"),
        ("emotion_log", ["a"], TOMORROW, "Only checklist"),
        ("text", [], YESTERDAY, "in the past"),
    ],
)
def test_homework_assign_refusals(room: Room, kind, items, due, fragment):
    err = room.refuse(DANA, "homework.assign", {"title": "T", "homework_kind": kind, "items": items, "due": due})
    assert err.code == ErrorCode.INVALID and fragment in err.message


def test_homework_assign_reaches_members_never_guests(room: Room):
    (assigned,) = room.do(DANA, "homework.assign", {"title": "Walk", "homework_kind": "checklist", "items": ["Mon", "Wed"], "due": TODAY, "instructions": " Ten minutes. "})
    assert (assigned.type, assigned.audience) == ("homework.assigned", MEMBERS)
    assert assigned.data == {"homework_id": assigned.seq, "title": "Walk", "homework_kind": "checklist", "instructions": "Ten minutes.", "items": ["Mon", "Wed"], "due": TODAY}
    assert assigned.seq in room.view(SAM).homework and room.view(JO).homework == {}


def test_homework_submissions_by_kind(room: Room):
    text = room.homework("text")
    checklist = room.homework("checklist", ["Mon", "Tue", "Wed"])
    log = room.homework("emotion_log")
    (sub,) = room.do(SAM, "homework.submit", {"homework_id": text, "text": " I walked. "})
    assert (sub.type, sub.audience, sub.subject) == ("homework.submitted", MEMBER, SAM.member_id)
    assert sub.data == {"homework_id": text, "member_id": SAM.member_id, "text": "I walked.", "checked": [], "log": [], "late": False}
    (sub,) = room.do(SAM, "homework.submit", {"homework_id": checklist, "checked": [2, 0]})
    assert sub.data["checked"] == [0, 2]
    assert room.do(ALEX, "homework.submit", {"homework_id": checklist, "checked": []})  # none done is an honest answer
    entries = [
        {"day": "2026-11-27", "mood": 4, "feelings": ["sad"]},
        {"day": "2026-11-26", "mood": 6, "feelings": [], "note": " ok "},
    ]
    (sub,) = room.do(SAM, "homework.submit", {"homework_id": log, "log": entries})
    assert [e["day"] for e in sub.data["log"]] == ["2026-11-26", "2026-11-27"]
    assert sub.data["log"][0] == {"day": "2026-11-26", "mood": 6, "feelings": [], "note": "ok"}
    # Alex sees that homework exists, not Sam's answers.
    assert room.view(ALEX).homework[text].submissions == {}
    assert room.view(DANA).homework[text].submissions[SAM.member_id].text == "I walked."


@pytest.mark.parametrize(
    "kind, data, code, fragment",
    [
        ("text", {"text": "   "}, ErrorCode.INVALID, "empty"),
        ("text", {"text": "x", "checked": [0]}, ErrorCode.INVALID, "text only"),
        ("checklist", {"checked": [3]}, ErrorCode.INVALID, "3 items"),
        ("checklist", {"checked": [1, 1]}, ErrorCode.INVALID, "twice"),
        ("checklist", {"text": "done"}, ErrorCode.INVALID, "checklist"),
        ("emotion_log", {"log": []}, ErrorCode.INVALID, "1 to 14"),
        ("emotion_log", {"log": [{"day": TODAY, "mood": 3}, {"day": TODAY, "mood": 4}]}, ErrorCode.INVALID, "twice"),
        ("emotion_log", {"text": "sad", "log": [{"day": TODAY, "mood": 3}]}, ErrorCode.INVALID, "emotion log"),
    ],
)
def test_homework_submit_refusals(room: Room, kind, data, code, fragment):
    hid = room.homework(kind, ["a", "b", "c"] if kind == "checklist" else None)
    err = room.refuse(SAM, "homework.submit", {"homework_id": hid, **data})
    assert err.code == code and fragment in err.message


def test_unknown_homework(room: Room):
    assert room.refuse(SAM, "homework.submit", {"homework_id": 5, "text": "x"}).code == ErrorCode.NOT_FOUND


def test_late_submission_and_resubmission(room: Room):
    hid = room.homework("text", due=TODAY)
    assert room.do(SAM, "homework.submit", {"homework_id": hid, "text": "first"})[0].data["late"] is False
    later = Room(now=NOW + 86400)
    later.state, later.log = room.state, room.log
    (sub,) = later.do(SAM, "homework.submit", {"homework_id": hid, "text": "second"})
    assert sub.data["late"] is True
    submission = later.state.homework[hid].submissions[SAM.member_id]
    assert (submission.text, submission.late) == ("second", True)


def test_due_today_is_judged_in_utc():
    # 23:30 UTC on the 28th: the 28th is still today; the 27th is past.
    late_evening = Room(now=dt.datetime(2026, 11, 28, 23, 30, tzinfo=dt.UTC).timestamp())
    assert late_evening.homework("text", due=TODAY)
    assert late_evening.refuse(DANA, "homework.assign", {"title": "T", "homework_kind": "text", "due": YESTERDAY}).code == ErrorCode.INVALID


# -- moderation ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["member.mute", "member.remove"])
@pytest.mark.parametrize(
    "target, code",
    [(99, ErrorCode.NOT_FOUND), (DANA.member_id, ErrorCode.FORBIDDEN), (CASEY.member_id, ErrorCode.FORBIDDEN)],
)
def test_moderation_refusals(live: Room, kind, target, code):
    assert live.refuse(DANA, kind, {"member_id": target}).code == code


def test_mute_and_unmute(live: Room):
    (muted,) = live.do(DANA, "member.mute", {"member_id": JO.member_id})
    assert (muted.type, muted.audience, muted.data) == ("member.muted", EVERYONE, {"member_id": JO.member_id, "muted": True})
    assert live.state.roster[JO.member_id].muted
    assert live.do(CASEY, "member.mute", {"member_id": JO.member_id}) == []
    assert live.do(DANA, "member.mute", {"member_id": JO.member_id, "muted": False})[0].data["muted"] is False
    assert live.do(DANA, "member.mute", {"member_id": JO.member_id, "muted": False}) == []


def test_remove_lowers_the_hand_first(live: Room):
    live.do(ALEX, "hand.raise")
    lowered, removed = live.do(DANA, "member.remove", {"member_id": ALEX.member_id})
    assert (lowered.type, lowered.data) == ("hand.lowered", {"member_id": ALEX.member_id})
    assert (removed.type, removed.audience, removed.data) == ("member.removed", EVERYONE, {"member_id": ALEX.member_id})
    assert live.state.roster[ALEX.member_id].removed and live.state.hands == []
    assert live.refuse(DANA, "member.remove", {"member_id": ALEX.member_id}).code == ErrorCode.CONFLICT
    assert live.refuse(DANA, "member.mute", {"member_id": ALEX.member_id}).code == ErrorCode.CONFLICT
    (only,) = live.do(DANA, "member.remove", {"member_id": RILEY.member_id})
    assert only.type == "member.removed"


# -- a whole session ------------------------------------------------------------------


def test_a_whole_session_end_to_end():
    room = Room()
    room.do(DANA, "deck.load", {"markdown": DECK})
    sid = room.start("Week 3: urges")
    room.do(DANA, "phase.set", {"phase": "checkin"})
    room.do(SAM, "checkin.submit", {"mood": 3, "feelings": ["tired"], "note": "bad news at work", "note_to": "facilitators"})
    room.do(ALEX, "checkin.submit", {"mood": 7, "feelings": ["ok"], "note": "glad to be here", "note_to": "group"})
    room.do(RILEY, "checkin.submit", {"passed": True})
    room.do(DANA, "phase.set", {"phase": "psychoeducation"})
    room.do(DANA, "slide.goto", {"index": 1})
    room.do(DANA, "phase.set", {"phase": "exercises"})
    quiz = room.poll("quiz", ["Ignore it", "Ride the wave"], correct=1)
    for who, choice in ((SAM, 1), (ALEX, 1), (RILEY, 0), (JO, 1)):
        room.do(who, "poll.vote", {"poll_id": quiz, "choices": [choice]})
    room.do(DANA, "poll.reveal", {"poll_id": quiz})
    scale = room.poll("scale", anonymous=False)
    room.do(SAM, "poll.vote", {"poll_id": scale, "choices": [4]})
    room.do(DANA, "phase.set", {"phase": "discussion"})
    room.do(SAM, "hand.raise")
    hello = room.say(JO, "Thank you for having me.")
    private = room.say(SAM, "Can we talk after group?", "facilitators")
    room.do(DANA, "hand.lower", {"member_id": SAM.member_id})
    slip = room.say(ALEX, "wrong window")
    room.do(DANA, "chat.delete", {"message_id": slip})
    room.do(DANA, "phase.set", {"phase": "closing"})
    hw = room.homework("checklist", ["Notice one urge", "Ride it out"], due=TOMORROW)
    ended = room.do(DANA, "session.end", {"summary": "We practised urge surfing."})
    room.do(SAM, "homework.submit", {"homework_id": hw, "checked": [0]})

    # The log is gap-free, every event type is known, ids are creating seqs.
    assert [e.seq for e in room.log] == list(range(1, len(room.log) + 1))
    assert all(e.type in EVENT_TYPES for e in room.log)
    assert [e.type for e in ended] == ["poll.closed", "attendance.recorded", "session.ended"]  # the open scale poll

    server = room.state
    assert server.session is None and server.sessions[0].session_id == sid
    assert [c.member_id for c in server.checkin_round()] == [SAM.member_id, ALEX.member_id, RILEY.member_id]
    assert server.polls[quiz].counts == [1, 3] and server.polls[quiz].correct == 1
    assert server.polls[scale].status == "closed"
    assert [c.message_id for c in server.visible_chat()] == [hello, private]
    assert server.homework[hw].submissions[SAM.member_id].checked == [0]
    assert server.slide_index == 1 and len(server.notes) == 3

    # Each reader's fold of what they may see.
    alex, jo, sam = room.view(ALEX), room.view(JO), room.view(SAM)
    assert alex.checkins[SAM.member_id].note == "" and alex.checkins[ALEX.member_id].note == "glad to be here"
    assert sam.checkins[SAM.member_id].note == "bad news at work"
    assert [c.text for c in alex.visible_chat()] == ["Thank you for having me."]
    assert [c.text for c in sam.visible_chat()] == ["Thank you for having me.", "Can we talk after group?"]
    assert jo.checkins == {} and jo.homework == {} and jo.notes == []
    assert [c.text for c in jo.visible_chat()] == ["Thank you for having me."]
    assert jo.polls[quiz].counts == [1, 3]
    assert alex.homework[hw].submissions == {}
    secrets = ("bad news at work", "Can we talk after group?", "Ask who noticed")
    for reader in (ALEX, RILEY, JO):
        for event in room.seen_by(reader):
            assert not any(s in repr(event.data) for s in secrets), (reader.name, event.type)


def test_every_event_type_is_produced_by_some_decision():
    """The model covers the whole event vocabulary (nothing in EVENT_TYPES is dead)."""
    produced: set[str] = set()
    for kind in COMMANDS:
        for role in PERMISSIONS[kind]:
            room, data = _prepared(kind, BY_ROLE[role])
            produced.update(e.type for e in room.log)
            produced.update(e.type for e in room.do(BY_ROLE[role], kind, data))
    room = Room()
    room.state.update_member({"id": JO.member_id}, status="online")  # a guest connected when the session starts
    room.start()
    room.do(SAM, "checkin.submit", {"mood": 2, "note": "x"})
    room.poll("quiz", ["a", "b"], correct=0)
    room.do(ALEX, "checkin.submit", {"mood": 7, "location": "at home"})
    given = room.do(DANA, "measure.give", {"measure": "gad7", "member_id": ALEX.member_id})[0].seq
    for item in range(7):
        room.do(ALEX, "measure.answer", {"measure_id": given, "item": item, "answer": 0})
    produced.update(e.type for e in room.log)
    # member.reinstated is the relay's own event (a new token from the CLI), not a decision;
    # so is urgent.emailed (the on-call watch, server/oncall.py), and room.warned (the breakout clock).
    # guest.waiting is the relay's own too (an invited guest connects: tests/unit/test_between.py).
    assert produced | {"member.reinstated", "urgent.emailed", "room.warned", "guest.waiting"} == set(EVENT_TYPES)


def test_decide_is_pure(live: Room):
    """Deciding never changes the state it is given; only folding does."""
    pid = live.poll()
    before = repr(live.state)
    for actor, kind, data in [
        (SAM, "poll.vote", {"poll_id": pid, "choices": [1]}),
        (DANA, "poll.reveal", {"poll_id": pid}),
        (DANA, "session.end", {}),
        (SAM, "checkin.submit", {"mood": 1, "note": "n"}),
    ]:
        live.decide(actor, kind, data)
        assert repr(live.state) == before


def test_unknown_kind_is_refused(live: Room):
    from protocol.messages import Command

    with pytest.raises(ProtocolError) as caught:
        decide(live.state, DANA, Command("whiteboard.draw", "c", {}), NOW)
    assert caught.value.code == ErrorCode.UNKNOWN_KIND



def test_a_deck_prepared_before_the_session_is_reopened_inside_it_for_guests() -> None:
    """Guests replay only the live session: the deck loaded ahead must be inside it."""
    from protocol.events import Event
    from protocol.roles import visible_to

    state = GroupState()
    state.set_roster([{"id": 1, "name": "Dana", "role": "facilitator"}, {"id": 5, "name": "Jo", "role": "guest"}])
    dana = Actor(1, "Dana", "facilitator")
    seq = 0

    def run(kind: str, data: dict) -> list[Event]:
        nonlocal seq
        drafts = decide(state, dana, parse_command({"kind": kind, "id": f"c{seq}", "data": data}), 1_700_000_000.0)
        first = seq + 1
        events = []
        for d in drafts:
            seq += 1
            payload = {k: (first if v == SEQ else v) for k, v in d.data.items()}
            ev = Event(seq, d.type, 1_700_000_000.0, 1, "Dana", d.audience, d.subject, payload)
            state.apply(ev)
            events.append(ev)
        return events

    run("deck.load", {"markdown": "# One\nhello\nNotes: secret\n---\n# Two\nbye"})
    started = run("session.start", {"title": "Week 3"})
    assert [e.type for e in started] == ["session.started", "deck.loaded", "deck.notes"]
    guest = GroupState()
    for ev in started:
        if visible_to(ev.audience, ev.subject, "guest", 5):
            guest.apply(ev)
    assert [s["title"] for s in guest.slides] == ["One", "Two"]
    assert guest.notes == [] and "secret" not in repr(guest)
    assert state.notes == ["secret", ""]
