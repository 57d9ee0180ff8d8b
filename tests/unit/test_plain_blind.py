"""A blind facilitator runs a whole group alone in the plain face (issue 12, plain items 1-3, 6, 7).

A PlainFace on a real ClientSession whose model is fed the relay's frames (no
socket): what it says, and what typed lines make it say.
"""

from __future__ import annotations

import pytest

from iop_tui.core.model import Notice
from iop_tui.plain.text import speakable
from tests.unit.test_plain_text import Fed

DECK = {"title": "Reframing", "slides": [
    {"title": "Welcome", "body": "# Welcome\n\nToday we look at thinking traps and how to notice them."},
    {"title": "All-or-nothing thinking", "body": "Seeing things in black and white.\n\n- one mistake means total failure"},
]}


def live_facilitator(verbosity: str = "normal") -> Fed:
    fed = Fed(role="facilitator", verbosity=verbosity)
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.event("deck.loaded", DECK)
    fed.event("deck.notes", {"notes": ["Ask who noticed a trap this week; wait ten seconds before moving on.", ""]}, audience="facilitators")
    fed.event("phase.changed", {"phase": "discussion"})
    fed.synced()
    return fed


def member_in_slides(verbosity: str = "normal") -> tuple[Fed, list[float]]:
    """A participant in the psychoeducation phase with the deck loaded; ``now[0]`` is the face's clock."""
    fed = Fed(verbosity=verbosity)
    now = [1000.0]
    fed.face.clock = lambda: now[0]
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.event("deck.loaded", DECK)
    fed.event("phase.changed", {"phase": "psychoeducation"})
    fed.synced()
    return fed, now


def said_after(fed: Fed, action) -> list[str]:
    before = len(fed.lines)
    action()
    return fed.lines[before:]


# -- 1. a speech budget with priorities ---------------------------------------------------------


async def test_a_facilitator_hears_only_the_title_on_a_slide_change_and_reads_the_body_with_slide():
    fed = live_facilitator()
    said = said_after(fed, lambda: fed.event("slide.changed", {"index": 1}))
    assert said == ["Slide 2 of 2, All or nothing thinking."], said
    said = said_after(fed, lambda: fed.face.handle("/slide"))
    assert "Seeing things in black and white." in said, said
    said = said_after(fed, lambda: fed.face.handle("/notes 1"))
    assert any("wait ten seconds" in line for line in said), said


async def test_a_participant_still_hears_the_slide_body():
    fed, now = member_in_slides()
    now[0] += 60  # the screen reader has read the joining lines (see test_plain_pace.py for when it has not)
    said = said_after(fed, lambda: fed.event("slide.changed", {"index": 1}))
    assert said[0] == "Slide 2 of 2, All or nothing thinking:" and "Seeing things in black and white." in said, said


async def test_verbosity_changes_in_the_session():
    fed = live_facilitator()
    said = said_after(fed, lambda: fed.face.handle("/verbosity"))
    assert said == ["Verbosity normal. /verbosity quiet, normal or all changes it."], said
    said = said_after(fed, lambda: fed.face.handle("/verbosity quiet"))
    assert said == ["Verbosity quiet: hands, private lines, urgent requests and the session's own events only."], said
    said = said_after(fed, lambda: fed.event("checkin.submitted", {"member_id": 3, "mood": 6, "feelings": ["ok"], "note": "", "note_private": False, "passed": False}, actor=3, name="Alex", audience="members"))
    assert said == [], "a check-in is not said in quiet"
    said = said_after(fed, lambda: fed.event("hand.raised", {"member_id": 3}, actor=3, name="Alex"))
    assert said == ["Hand raised, Alex, number 1 in the queue."], "a hand is said even in quiet"
    said = said_after(fed, lambda: fed.face.handle("/verbosity loud"))
    assert said == ["Verbosity is quiet, normal or all."], said


async def test_the_bell_rings_for_hands_and_private_lines_only_when_asked():
    fed = live_facilitator()
    said = said_after(fed, lambda: fed.event("hand.raised", {"member_id": 3}, actor=3, name="Alex"))
    assert not any("\a" in line for line in said)
    assert said_after(fed, lambda: fed.face.handle("/bell on")) == ["Bell on: a bell rings before a raised hand and a private line."]
    said = said_after(fed, lambda: fed.event("hand.raised", {"member_id": 2}, actor=2, name="Sam"))
    assert said == ["\aHand raised, Sam, number 2 in the queue."], said
    said = said_after(fed, lambda: fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 2, "text": "can we talk", "to": "facilitators", "me": False}, actor=2, name="Sam", audience="member", subject=2))
    assert said[0].startswith("\aPrivate to facilitators, Sam: can we talk"), said
    said = said_after(fed, lambda: fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 3, "text": "hello", "to": "group", "me": False}, actor=3, name="Alex"))
    assert said == ["Chat, Alex: hello"], "no bell for group chat"
    assert said_after(fed, lambda: fed.face.handle("/bell off")) == ["Bell off."]


async def test_what_needs_the_facilitator_now_is_said_first_in_a_burst():
    fed = live_facilitator()
    burst = [
        Notice("Chat, Alex: one", kind="chat.posted"),
        Notice("Check in, Riley: mood 6 of 10.", kind="checkin.submitted"),
        Notice("Hand raised, Sam, number 1 in the queue.", kind="hand.raised"),
        Notice("URGENT, Riley asks for help now. Alert 9.", kind="urgent.raised"),
    ]
    said = said_after(fed, lambda: fed.face.on_notices(burst))
    assert said[:2] == ["URGENT, Riley asks for help now. Alert 9.", "Hand raised, Sam, number 1 in the queue."], said


# -- 2. catch-up ------------------------------------------------------------------------------


async def test_missed_counts_first_then_reads_the_lines_on_request():
    fed = live_facilitator()
    fed.face.handle("/who")  # the facilitator typed something: catch-up starts here
    for i in range(6):
        fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 3, "text": f"line {i}", "to": "group", "me": False}, actor=3, name="Alex")
    fed.event("poll.opened", {"poll_id": fed.seq + 1, "question": "How was the week?", "poll_kind": "single", "options": ["good", "bad"], "anonymous": True})
    fed.event("hand.raised", {"member_id": 4}, actor=4, name="Riley")
    said = said_after(fed, lambda: fed.face.handle("/missed"))
    assert said == ["While you were away: 6 chat lines, a poll opened, Riley raised a hand. /missed lines reads them."], said
    said = said_after(fed, lambda: fed.face.handle("/missed lines"))
    assert said[0] == "Chat, Alex: line 0" and said[-1].startswith("Hand raised, Riley"), said
    assert len(said) == 8
    said = said_after(fed, lambda: fed.face.handle("/missed"))
    assert said == ["Nothing new since you last typed."], said


async def test_history_covers_every_kind_of_event():
    fed = live_facilitator()
    fed.event("hand.raised", {"member_id": 3}, actor=3, name="Alex")
    fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 3, "text": "hi all", "to": "group", "me": False}, actor=3, name="Alex")
    fed.event("slide.changed", {"index": 1})
    said = said_after(fed, lambda: fed.face.handle("/history 3"))
    assert said[0] == "Last 3 events, oldest first:", said
    assert said[1].startswith("Hand raised, Alex") and said[2].startswith("Chat, Alex: hi all (message") and said[3].startswith("Slide 2 of 2"), said


# -- 3. nothing lost off screen ---------------------------------------------------------------


async def test_output_taller_than_the_terminal_is_paged():
    fed = live_facilitator()
    fed.face.page_rows = 10
    for i in range(20):
        fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 3, "text": f"line {i}", "to": "group", "me": False}, actor=3, name="Alex")
    said = said_after(fed, lambda: fed.face.handle("/history 20"))
    assert said[0] == "Last 20 events, oldest first:" and len(said) == 9 and said[-1] == "13 more lines: /more", said
    said = said_after(fed, lambda: fed.face.handle("/more"))
    assert len(said) == 9 and said[-1] == "5 more lines: /more", said
    said = said_after(fed, lambda: fed.face.handle("/more"))
    assert said[-1].startswith("Chat, Alex: line 19") and len(said) == 5, said
    assert said_after(fed, lambda: fed.face.handle("/more")) == ["Nothing more to read."]


async def test_a_facilitators_help_is_grouped_and_each_group_fits_a_screen():
    fed = live_facilitator()
    fed.face.page_rows = 24
    said = said_after(fed, lambda: fed.face.handle("/help"))
    assert said[0].startswith("Help topics:") and len(said) < 24, said
    assert any(line.startswith("Polls:") and "/help polls" in line for line in said), said
    said = said_after(fed, lambda: fed.face.handle("/help polls"))
    assert any(line.startswith("/poll open") for line in said) and any(line.startswith("/close N:") for line in said), said
    assert not any(line.startswith("/mute NAME") for line in said)
    said = said_after(fed, lambda: fed.face.handle("/help moderation"))
    assert any(line.startswith("/mute NAME:") for line in said), said
    assert said_after(fed, lambda: fed.face.handle("/help dancing"))[0].startswith("There is no help topic dancing")


# -- 6. the facilitator's cues ----------------------------------------------------------------


async def test_after_lowering_a_hand_the_next_hand_is_named():
    fed = live_facilitator()
    fed.event("hand.raised", {"member_id": 3}, actor=3, name="Alex")
    fed.event("hand.raised", {"member_id": 4}, actor=4, name="Riley")
    said = said_after(fed, lambda: fed.event("hand.lowered", {"member_id": 3}))
    assert said == ["Hand lowered, Alex. Riley's hand is next."], said
    said = said_after(fed, lambda: fed.event("hand.lowered", {"member_id": 4}))
    assert said == ["Hand lowered, Riley. No hands are raised."], said


async def test_status_gives_the_sessions_and_the_phases_minutes():
    fed = live_facilitator()
    fed.face.now = lambda: 1000.0 + 1 + 25 * 60  # the session started at ts 1001
    said = said_after(fed, lambda: fed.face.handle("/status"))
    assert any("25 minutes into the session" in line and "in this phase" in line for line in said), said


async def test_a_private_line_to_a_facilitator_says_how_to_read_the_thread():
    fed = live_facilitator()
    said = said_after(fed, lambda: fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 2, "text": "can we talk", "to": "facilitators", "me": False}, actor=2, name="Sam", audience="member", subject=2))
    assert "/thread Sam reads the thread" in said[0], said


# -- 7. words that read well aloud ------------------------------------------------------------


@pytest.mark.parametrize("written, heard", [
    ("All-or-nothing thinking", "All or nothing thinking"),
    ("Check-in, Sam: mood 3 of 10", "Check in, Sam: mood 3 of 10"),
    ("Homework due 2026-12-01.", "Homework due 1 December 2026."),
    ("well-being and self-care", "well being and self care"),
    ("a range 0-10", "a range 0 to 10"),
])
def test_hyphens_are_not_read_as_dash(written, heard):
    assert speakable(written) == heard


async def test_poll_results_are_said_as_votes_for_options_and_unchosen_options_are_left_out():
    fed = Fed()
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.synced()
    fed.event("poll.opened", {"poll_id": 10, "question": "Which helps?", "poll_kind": "single", "options": ["Option A", "Option B", "Option C"], "anonymous": True})
    said = said_after(fed, lambda: fed.event("poll.revealed", {"poll_id": 10, "counts": [1, 2, 0], "total": 3}))
    assert said == ["Poll results, Which helps? 2 votes for Option B; 1 vote for Option A."], said


async def test_a_quiz_tells_each_member_whether_they_were_right():
    fed = Fed()
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.synced()
    fed.event("poll.opened", {"poll_id": 10, "question": "Which is a thought?", "poll_kind": "quiz", "options": ["I am bad", "It rained"], "anonymous": True})
    fed.event("poll.voted", {"poll_id": 10, "member_id": 2, "choices": [1]}, actor=2, name="Sam", audience="member", subject=2)
    said = said_after(fed, lambda: fed.event("poll.revealed", {"poll_id": 10, "counts": [2, 1], "total": 3, "correct": 0}))
    assert said[-1] == "You chose It rained; the answer was I am bad.", said
    fed.event("poll.opened", {"poll_id": 12, "question": "And this?", "poll_kind": "quiz", "options": ["yes", "no"], "anonymous": True})
    fed.event("poll.voted", {"poll_id": 12, "member_id": 2, "choices": [0]}, actor=2, name="Sam", audience="member", subject=2)
    said = said_after(fed, lambda: fed.event("poll.revealed", {"poll_id": 12, "counts": [1, 0], "total": 1, "correct": 0}))
    assert said[-1] == "You were right: yes.", said


async def test_submit_on_a_checklist_points_to_check():
    fed = Fed()
    fed.welcome()
    fed.event("homework.assigned", {"homework_id": 5, "title": "Thought record", "homework_kind": "checklist", "instructions": "", "items": ["Day 1", "Day 2"], "due": "2030-01-01"})
    fed.synced()
    said = said_after(fed, lambda: fed.face.handle("/submit 1 done"))
    assert said == ["Thought record is a checklist: type /check 1 and the item numbers, for example /check 1 1 2."], said
