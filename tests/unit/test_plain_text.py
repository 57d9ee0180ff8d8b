"""The plain face's text hygiene and command parsing, on a real session model.

``clean`` (no control bytes from the network), ``markdown_lines`` (slides as
plain lines), ``wrap`` (rows broken at spaces so a screen reader hears whole
words), and PlainFace fed real frames through a real ClientSession's model:
the catch-up is one summary line, presence bursts are one line, typed
commands become the right protocol commands or one sentence.
"""

from __future__ import annotations

import asyncio

import pytest

from iop_tui.core.commands import COMMAND_HELP
from iop_tui.plain.face import PlainFace
from iop_tui.plain.text import clean, markdown_lines, wrap
from iop_tui.core.session import ClientSession
from protocol.messages import PROTOCOL_VERSION
from protocol.deck import parse_deck
from iop_tui.core.plan import DEMO_PLAN, load_plan


def test_clean_strips_every_control_character():
    hostile = "red \x1b[31mtext\x1b[0m\x07 bell\x00 nul\x9b csi\u202e rtl\r\nnext\tline"
    out = clean(hostile)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert "\u202e" not in out
    # Escape sequences go whole (C1 CSI, then " c" as its intermediate and final
    # byte, as a terminal reads it); a line break is said as " / ".
    assert out == "red text bell nulsi rtl / next line"


def test_markdown_lines_read_as_plain_text():
    md = "# Title\n\nSome **bold**, *it* and `code`\nwrapped here.\n\n- one\n- [two](http://x)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\n```\ncode\n```\n"
    assert markdown_lines(md, skip_title="Title") == ["Some bold, it and code wrapped here.", "one", "two", "a, b", "1, 2", "quoted", "code"]


def test_every_demo_slide_reads_without_markdown_marks():
    deck = parse_deck(load_plan(DEMO_PLAN).markdown)
    for slide in deck.slides:
        lines = markdown_lines(slide.body, skip_title=slide.title)
        assert lines, slide.title
        for line in lines:
            assert not line.startswith(("#", "-", "*", "|", ">")), line
            assert "**" not in line and "`" not in line


def test_wrap_keeps_words_whole():
    line = "Joined Tuesday IOP as Sam, participant. Session Week 3: Reframing thoughts is live, phase check in."
    rows = wrap(line, 40)
    assert all(len(r) <= 40 for r in rows)
    assert " ".join(r.strip() for r in rows) == line
    assert all(r.startswith("  ") and not r.startswith("   ") for r in rows[1:])  # further rows indented
    assert wrap("short", 40) == ["short"]
    assert wrap("x" * 100, 40) == ["x" * 40, "  " + "x" * 38, "  " + "x" * 22]


def test_no_part_of_a_long_line_starts_a_row_of_its_own():
    """A member who pads their text to the terminal's width cannot make a row
    that reads like someone else's line: every further row is indented."""
    forged = "Alex: mood 0; private note: I want to die."
    line = "Chat, Sam: " + "x" * (39 - len("Chat, Sam: ")) + " " + forged
    rows = wrap(line, 40)
    assert len(rows) > 1 and not any(r.startswith("Alex") for r in rows)
    assert all(r.startswith("  ") for r in rows[1:])


def test_help_has_one_line_per_command():
    assert len({usage for usage, _, _ in COMMAND_HELP}) == len(COMMAND_HELP)
    for _usage, text, _ in COMMAND_HELP:
        assert text.endswith(".") and "\n" not in text


class Fed:
    """A PlainFace on a real ClientSession whose model is fed frames directly (no socket)."""

    def __init__(self, role: str = "participant", verbosity: str = "normal") -> None:
        self.session = ClientSession("ws://127.0.0.1:9/", "token")
        self.lines: list[str] = []
        self.face = PlainFace(self.session, self.lines.append, verbosity)
        self.session.subscribe(self.face.on_notices)
        self.role = role
        self.seq = 0

    def frame(self, frame: dict) -> None:
        self.session._on_frame(frame)

    def welcome(self) -> None:
        roster = [
            {"id": 1, "name": "Dana", "role": "facilitator", "status": "online", "muted": False},
            {"id": 2, "name": "Sam", "role": "participant", "status": "online", "muted": False},
            {"id": 3, "name": "Alex", "role": "participant", "status": "offline", "muted": False},
            {"id": 4, "name": "Riley", "role": "participant", "status": "offline", "muted": False},
        ]
        me = {"id": 1, "name": "Dana", "role": "facilitator"} if self.role == "facilitator" else {"id": 2, "name": "Sam", "role": "participant"}
        self.frame({"kind": "status", "state": "connected", "retry_in": None, "pending": 0, "message": None})
        self.frame({"kind": "welcome", "v": PROTOCOL_VERSION, "member": me, "group": {"id": 1, "name": "Tuesday IOP"}, "roster": roster,
                    "limits": {}, "head_seq": 0, "mode": "reset", "replay_from": 1})

    def event(self, etype: str, data: dict, actor: int = 1, name: str = "Dana", audience: str = "everyone", subject=None) -> None:
        self.seq += 1
        self.frame({"kind": "event", "seq": self.seq, "type": etype, "ts": 1000.0 + self.seq, "actor": actor, "actor_name": name,
                    "audience": audience, "subject": subject, "data": data})

    def synced(self) -> None:
        self.frame({"kind": "synced", "head_seq": self.seq})


async def test_catch_up_is_one_summary_line_then_live_events():
    fed = Fed()
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.event("phase.changed", {"phase": "checkin"})
    for i in range(5):
        fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 1, "text": f"old {i}", "to": "group", "me": False})
    assert fed.lines == []
    fed.synced()
    assert len(fed.lines) == 1
    assert fed.lines[0].startswith("Joined Tuesday IOP as Sam, participant. Session Week 3 is live, phase check in.")
    assert "5 chat messages so far in this session" in fed.lines[0]
    fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 1, "text": "new \x1b]0;title\x07", "to": "group", "me": False})
    assert fed.lines[-1] == "Chat, Dana: new"  # the whole OSC goes, not only its ESC byte


async def test_presence_burst_is_one_line():
    fed = Fed()
    fed.welcome()
    fed.synced()
    presence = [(3, "Alex", "online"), (4, "Riley", "online"), (1, "Dana", "offline"), (3, "Alex", "offline"), (3, "Alex", "online"), (4, "Riley", "offline")]
    for mid, name, status in presence:
        fed.frame({"kind": "presence", "member": {"id": mid, "name": name, "role": "participant"}, "status": status})
    assert len(fed.lines) == 1, "nothing is said until the burst is over"
    fed.face.flush_presence()  # what the one-second timer does
    assert fed.lines[1:] == ["Joined: Alex. Left: Dana."], "Riley came and went: no line; Alex's flap nets to one arrival"
    fed.frame({"kind": "presence", "member": {"id": 4, "name": "Riley", "role": "participant"}, "status": "online"})
    await asyncio.sleep(1.3)
    assert fed.lines[2:] == ["Joined: Riley."], "the timer says a burst on its own"


async def test_typed_commands_and_refusals():
    fed = Fed()
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.synced()
    sent: list[tuple[str, dict]] = []
    fed.session.send = lambda kind, data=None, typed="": sent.append((kind, data)) or "id"  # record instead of going to the network
    fed.face.handle("/checkin 4 tired, hopeful --group -- slept badly")
    assert sent[-1] == ("checkin.submit", {"mood": 4, "feelings": ["tired", "hopeful"], "note": "slept badly", "note_to": "group", "passed": False})
    fed.face.handle("/checkin 7 calm")
    assert sent[-1][1]["note_to"] == "facilitators" and sent[-1][1]["feelings"] == ["calm"]
    fed.face.handle("/checkin eleven")
    assert fed.lines[-1] == "Your mood must be a number; type /help to hear how."
    fed.face.handle("/pass")
    assert sent[-1] == ("checkin.submit", {"mood": None, "feelings": [], "note": "", "passed": True})
    fed.face.handle("hello all")
    assert sent[-1] == ("chat.send", {"text": "hello all", "to": "group"})
    fed.face.handle("/dm I need a minute")
    assert sent[-1] == ("chat.send", {"text": "I need a minute", "to": "facilitators"})
    fed.face.handle("/vote 1")
    assert fed.lines[-1] == "No poll is open."
    fed.face.handle("/frobnicate")
    assert fed.lines[-1] == "There is no command /frobnicate; type /help to hear the commands."
    fed.face.handle("/phase closing")
    assert fed.lines[-1] == "As a participant you cannot change the session's phase."  # words.forbidden_text, in both faces
    count = len(sent)
    assert fed.face.handle("/quit") is False
    assert len(sent) == count


async def test_facilitator_poll_open_parsing():
    fed = Fed(role="facilitator")
    fed.welcome()
    fed.synced()
    sent: list[tuple[str, dict]] = []
    fed.session.send = lambda kind, data=None, typed="": sent.append((kind, data)) or "id"
    fed.face.handle('/poll open quiz "Which trap is this?" Mind reading; Labelling; Fortune telling correct=2 named')
    assert sent[-1] == ("poll.open", {"question": "Which trap is this?", "poll_kind": "quiz", "options": ["Mind reading", "Labelling", "Fortune telling"], "correct": 1, "anonymous": False})
    fed.face.handle('/poll open scale "How are you, 0 to 10?"')
    assert sent[-1][1]["poll_kind"] == "scale" and sent[-1][1]["options"] == []
    fed.face.handle('/assign checklist +6 days "Thought record" Day 1; Day 2')
    kind, data = sent[-1]
    assert kind == "homework.assign" and data["items"] == ["Day 1", "Day 2"] and data["homework_kind"] == "checklist"
    fed.face.handle("/phase check-in")
    assert sent[-1] == ("phase.set", {"phase": "checkin"})


@pytest.mark.parametrize("verbosity", ["quiet", "normal", "all"])
async def test_verbosity_levels(verbosity):
    fed = Fed(verbosity=verbosity)
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.synced()
    before = len(fed.lines)
    fed.event("hand.raised", {"member_id": 3}, actor=3, name="Alex")
    fed.event("checkin.submitted", {"member_id": 3, "mood": 5, "feelings": ["ok"], "note": "", "note_private": False, "passed": False},
              actor=3, name="Alex", audience="members")
    fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 3, "text": "hi", "to": "group", "me": False}, actor=3, name="Alex")
    said = fed.lines[before:]
    assert "Chat, Alex: hi" in said
    assert any(line.startswith("Hand raised, Alex") for line in said) == (verbosity == "all")
    assert any(line.startswith("Check in, Alex") for line in said) == (verbosity != "quiet")


@pytest.mark.parametrize("verbosity", ["quiet", "normal", "all"])
async def test_a_facilitator_hears_every_line_addressed_to_the_facilitators_whatever_the_verbosity(verbosity):
    """Issue 11's defect: in quiet mode a facilitator heard neither a member's
    private line nor a private check-in note (0 lines in quiet, 3 in normal)."""
    fed = Fed(role="facilitator", verbosity=verbosity)
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.event("phase.changed", {"phase": "checkin"})
    fed.synced()
    before = len(fed.lines)
    fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 2, "text": "I don't feel safe tonight", "to": "facilitators", "me": False},
              actor=2, name="Sam", audience="member", subject=2)
    fed.event("checkin.submitted", {"member_id": 2, "mood": 1, "feelings": ["scared"], "note": "", "note_private": True, "passed": False},
              actor=2, name="Sam", audience="members")
    fed.event("checkin.note", {"member_id": 2, "note": "I stopped my meds"}, actor=2, name="Sam", audience="member", subject=2)
    said = fed.lines[before:]
    assert any("I don't feel safe tonight" in line and "Sam" in line for line in said), said
    assert any("I stopped my meds" in line and "Sam" in line for line in said), said


@pytest.mark.parametrize("verbosity", ["quiet", "normal", "all"])
async def test_an_urgent_request_is_said_to_a_facilitator_whole_in_every_verbosity(verbosity):
    fed = Fed(role="facilitator", verbosity=verbosity)
    fed.welcome()
    fed.synced()
    before = len(fed.lines)
    fed.event("urgent.raised", {"member_id": 2, "text": "I don't feel safe tonight"}, actor=2, name="Sam", audience="member", subject=2)
    alert = fed.seq
    fed.event("alert.raised", {"member_id": 3, "source": "checkin", "reason": "mood 1, at or below 2"}, actor=3, name="Alex", audience="facilitators")
    said = fed.lines[before:]
    assert said[0] == f"URGENT, Sam asks for help now: I don't feel safe tonight. Alert {alert}. Type /ack {alert} when you have seen it.", said
    assert said[1].startswith("ALERT, Alex: mood 1, at or below 2."), said


async def test_the_member_is_told_the_request_was_sent_and_who_has_seen_it():
    fed = Fed(role="participant", verbosity="quiet")
    fed.welcome()
    fed.synced()
    before = len(fed.lines)
    fed.event("urgent.raised", {"member_id": 2, "text": "help"}, actor=2, name="Sam", audience="member", subject=2)
    fed.event("urgent.acknowledged", {"alert_id": fed.seq, "member_id": 2, "by": 1}, actor=1, name="Dana", audience="member", subject=2)
    assert fed.lines[before:] == ["Urgent request sent to the facilitators; they will be told at once.", "Dana has seen your urgent request."]
