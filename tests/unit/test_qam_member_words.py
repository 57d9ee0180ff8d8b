"""What a member and a guest met using the merged product (issue 12-17 together, branch qam).

Each test was written from a walk through the demo and a family session at 80x24, and
failed before its fix."""

from __future__ import annotations

from iop_tui.core import words
from iop_tui.core.model import SessionModel
from tests.unit.test_between_commands import event
from tests.support.commandroom import Room


def _waiting_guest() -> SessionModel:
    model = SessionModel()
    model.apply({"kind": "welcome", "v": 1, "member": {"id": 5, "name": "Ana María", "role": "guest"}, "group": {"id": 1, "name": "Tuesday IOP"},
                 "roster": [], "limits": {}, "head_seq": 4, "mode": "reset", "replay_from": 5})
    model.apply({"kind": "synced", "head_seq": 4})
    return model


def test_a_waiting_guest_s_header_says_they_wait_to_be_let_in_not_that_no_session_runs():
    model = _waiting_guest()
    header = words.header_text(model, 0.0, clock=True)
    assert "No session" not in header and "none planned" not in header
    assert words.GUEST_WAITING_SHORT in header
    event(model, 5, "session.started", {"session_id": 5, "title": "Family evening", "kind": "family"})
    event(model, 6, "guest.arrived", {"member_id": 5, "session_id": 5, "admitted": True}, audience="member", subject=5, actor=1)
    assert words.GUEST_WAITING_SHORT not in words.header_text(model, 0.0, clock=True)


def test_a_guest_asking_to_read_the_feed_resources_or_board_is_told_guests_do_not_see_them_not_that_they_cannot_post():
    jo = Room("guest")
    assert jo("/feed").refusal == jo("/resources").refusal == words.GUEST_NO_FEED
    assert "post" not in words.GUEST_NO_FEED
    assert jo("/board").refusal == words.GUEST_NO_BOARD
    assert "add cards" not in words.GUEST_NO_BOARD
    assert jo("/share hi").refusal == words.forbidden_text("guest", "feed.post")  # writing is refused as before
    assert jo("/card 1 hi").refusal == words.forbidden_text("guest", "card.add")


def test_share_while_a_session_runs_is_refused_before_sending_so_the_words_stay_in_the_box():
    sam = Room("participant")  # a session is running
    assert sam("/share Slept better this week").refusal == words.FEED_IN_SESSION
    assert not sam("/share Slept better this week").sends
    sam.event("session.ended", {"session_id": 1, "summary": ""})
    assert [s.kind for s in sam("/share Slept better this week").sends] == ["feed.post"]


def test_a_muted_member_s_group_line_is_refused_before_sending_so_the_words_stay_in_the_box():
    sam = Room("participant")
    sam.event("member.muted", {"member_id": 2, "muted": True})
    for line in ("A long careful sentence", "/me nods"):
        outcome = sam(line)
        assert outcome.refusal == words.MUTED_GROUP_CHAT and not outcome.sends, line
    assert [s.kind for s in sam("/dm I am still here").sends] == ["chat.send"]  # the private line stays open
    assert [s.data["to"] for s in sam("still here", private=True).sends] == ["facilitators"]
    sam.event("member.muted", {"member_id": 2, "muted": False})
    assert [s.kind for s in sam("back again").sends] == ["chat.send"]


def test_a_saved_journal_answer_says_which_question_comes_next_and_then_how_to_finish_and_share():
    sam = Room("participant")
    fields = ["Situation", "Automatic thought", "A balanced thought"]
    sam.event("journal.opened", {"prompt_id": 40, "title": "Thought record", "fields": fields, "minutes": 8})
    said = sam.model.apply({"kind": "event", "seq": sam.seq + 1, "type": "journal.written", "ts": 1.0, "actor": 2, "actor_name": "Sam",
                            "audience": "self", "subject": 2, "data": {"prompt_id": 40, "member_id": 2, "answers": ["At the bus stop", "", ""], "done": False}})
    assert said[0].text.startswith("Saved in your journal: Thought record.")
    assert "Next, question 2 of 3, Automatic thought: /journal and your words." in said[0].text
    said = sam.model.apply({"kind": "event", "seq": sam.seq + 2, "type": "journal.written", "ts": 2.0, "actor": 2, "actor_name": "Sam",
                            "audience": "self", "subject": 2, "data": {"prompt_id": 40, "member_id": 2, "answers": ["a", "b", "c"], "done": False}})
    assert said[0].text.endswith("Every question is answered: /journal done finishes it; /journal share group or facilitators shares it.")
