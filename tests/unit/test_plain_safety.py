"""The plain face's safety lines, on a real ClientSession's model fed real frames (no socket).

An urgent request or alert reaches a facilitator in every verbosity with a
terminal bell and what to type, is said again (the only repeating line) until
someone acknowledges it, and is said on joining when it is still waiting; a
member answers a questionnaire one line per question.
"""

from __future__ import annotations

import asyncio

import pytest

from iop_tui.core import words
from iop_tui.core.session import ClientSession
from iop_tui.plain.face import PlainFace
from tests.unit.test_plain_text import Fed

pytestmark = pytest.mark.unit


class Rung(Fed):
    """Fed, with the face's terminal bell counted."""

    def __init__(self, role: str = "participant", verbosity: str = "normal") -> None:
        self.session = ClientSession("ws://127.0.0.1:9/", "token")
        self.lines: list[str] = []
        self.bells = 0
        self.face = PlainFace(self.session, self.lines.append, verbosity, bell=self._ring)
        self.session.subscribe(self.face.on_notices)
        self.role = role
        self.seq = 0

    def _ring(self) -> None:
        self.bells += 1


def _urgent(fed: Fed, text: str = "I don't feel safe tonight") -> int:
    fed.event("urgent.raised", {"member_id": 2, "text": text}, actor=2, name="Sam", audience="member", subject=2)
    return fed.seq


@pytest.mark.parametrize("verbosity", ["quiet", "normal", "all"])
async def test_a_facilitator_hears_an_urgent_request_with_a_bell_and_the_ack_to_type(verbosity):
    fed = Rung("facilitator", verbosity)
    fed.welcome()
    fed.synced()
    before = len(fed.lines)
    alert = _urgent(fed)
    assert fed.lines[before:] == [f"URGENT, Sam asks for help now: I don't feel safe tonight. Alert {alert}. Type /ack {alert} when you have seen it."]
    assert fed.bells == 1


async def test_a_member_hears_no_bell_for_their_own_request():
    fed = Rung("participant", "quiet")
    fed.welcome()
    fed.synced()
    _urgent(fed)
    assert fed.bells == 0 and fed.lines[-1] == "Urgent request sent to the facilitators; they will be told at once."


@pytest.mark.parametrize("verbosity", ["quiet", "normal", "all"])
async def test_an_unacknowledged_request_is_said_again_until_acknowledged(verbosity):
    fed = Rung("facilitator", verbosity)
    fed.face.repeat_s = 0.05  # a minute in the face; short here, and nothing asserts on time
    fed.welcome()
    fed.synced()
    alert = _urgent(fed, "help")
    again = f"STILL WAITING, URGENT, Sam asks for help now: help. Alert {alert}. Type /ack {alert} when you have seen it."
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while fed.lines.count(again) < 2:
        assert loop.time() < deadline, fed.lines
        await asyncio.sleep(0.02)
    assert fed.bells >= 3, "every repeat rings too"
    fed.event("urgent.acknowledged", {"alert_id": alert, "member_id": 2, "by": 1}, actor=1, name="Dana", audience="member", subject=2)
    assert fed.lines[-1] == "Acknowledged by Dana: the request from Sam."
    count = fed.lines.count(again)
    await asyncio.sleep(0.3)
    assert fed.lines.count(again) == count, "no repeat after the acknowledgement"
    fed.face.close()


async def test_a_facilitator_joining_hears_every_request_still_waiting():
    fed = Rung("facilitator", "quiet")
    fed.welcome()
    first = _urgent(fed, "help")
    fed.event("alert.raised", {"member_id": 3, "source": "checkin", "reason": "mood 1, at or below 2"}, actor=3, name="Alex", audience="facilitators")
    second = fed.seq
    fed.event("urgent.raised", {"member_id": 4, "text": "seen"}, actor=4, name="Riley", audience="member", subject=4)
    fed.event("urgent.acknowledged", {"alert_id": fed.seq, "member_id": 4, "by": 1}, actor=1, name="Dana", audience="member", subject=4)
    fed.synced()
    assert fed.lines[1:] == [
        f"URGENT, Sam asks for help now: help. Alert {first}. Type /ack {first} when you have seen it.",
        f"ALERT, Alex: mood 1, at or below 2. Alert {second}. Type /ack {second} when you have seen it.",
    ]
    assert fed.bells == 2
    fed.face.close()


async def test_a_member_answers_a_questionnaire_one_line_per_question():
    fed = Rung("participant", "quiet")
    fed.welcome()
    fed.synced()
    fed.event("measure.given", {"measure_id": fed.seq + 1, "measure": "gad7", "member_id": None})
    given = fed.seq
    assert fed.lines[-2] == "Questionnaire for you: GAD-7, 7 questions about the last 2 weeks, seen only by you and the facilitators."
    assert fed.lines[-1] == ("GAD-7, question 1 of 7: Feeling nervous, anxious, or on edge. Over the last 2 weeks: 0 not at all, "
                             "1 several days, 2 more than half the days, 3 nearly every day. Type /answer and a number.")
    sent = []
    fed.session.send = lambda kind, data, typed="": sent.append((kind, data))  # the socket's side; the face's own code runs
    fed.face.handle("/answer 2")
    assert sent == [("measure.answer", {"measure_id": given, "item": 0, "answer": 2})]
    fed.event("measure.answered", {"measure_id": given, "measure": "gad7", "member_id": 2, "item": 0, "answer": 2}, actor=2, name="Sam", audience="member", subject=2)
    assert fed.lines[-1].startswith("GAD-7, question 2 of 7: Not being able to stop or control worrying.")
    for item in range(1, 7):
        fed.event("measure.answered", {"measure_id": given, "measure": "gad7", "member_id": 2, "item": item, "answer": 1}, actor=2, name="Sam", audience="member", subject=2)
    fed.event("measure.scored", {"measure_id": given, "measure": "gad7", "member_id": 2, "total": 8, "band": "mild"}, actor=2, name="Sam", audience="member", subject=2)
    assert fed.lines[-1] == "GAD-7 done, thank you: your total is 8 of 21, mild."
    fed.face.handle("/measure")
    assert fed.lines[-1] == "GAD-7 8: mild"


async def test_a_facilitator_hears_scores_and_each_members_trend():
    fed = Rung("facilitator", "quiet")
    fed.welcome()
    fed.synced()
    for total, band in ((14, "moderate"), (11, "moderate"), (9, "mild")):
        fed.event("measure.given", {"measure_id": fed.seq + 1, "measure": "phq9", "member_id": 2}, audience="member", subject=2)
        given = fed.seq
        fed.event("measure.scored", {"measure_id": given, "measure": "phq9", "member_id": 2, "total": total, "band": band}, actor=2, name="Sam", audience="member", subject=2)
    assert fed.lines[-1] == "PHQ-9 done, Sam: 9 of 27, mild."
    fed.face.handle("/measure")
    assert fed.lines[-2:] == ["Questionnaire scores, oldest first:", "Sam: PHQ-9 14, 11, 9: moderate to mild."]


async def test_the_round_shows_a_facilitator_each_members_location_and_emergency_contact():
    fed = Rung("facilitator", "normal")
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.event("safety.contact", {"member_id": 2, "contact": "Maria, sister, 555 0100"}, actor=2, name="Sam", audience="member", subject=2)
    fed.event("checkin.submitted", {"member_id": 2, "mood": 5, "feelings": ["calm"], "note": "", "note_private": True, "passed": False}, actor=2, name="Sam", audience="members")
    fed.event("checkin.location", {"member_id": 2, "location": "at home"}, actor=2, name="Sam", audience="member", subject=2)
    fed.synced()
    fed.face.handle("/round")
    assert "Sam: mood 5, calm. At: at home. Emergency contact: Maria, sister, 555 0100." in fed.lines
    fed.event("checkin.location", {"member_id": 2, "location": "at work"}, actor=2, name="Sam", audience="member", subject=2)
    assert fed.lines[-1] == "Location, Sam: at work."
    assert words.safety_details_text(fed.session.model.state, 3) == ""


async def test_a_member_is_told_the_due_date_and_hears_what_is_pending():
    from iop_tui.core.words import due_text

    fed = Rung("participant", "quiet")
    fed.welcome()
    fed.synced()
    fed.event("measure.given", {"measure_id": fed.seq + 1, "measure": "phq9", "member_id": 2, "due": "2099-01-31"}, audience="member", subject=2)
    assert fed.lines[-2] == ("Questionnaire for you: PHQ-9, 9 questions about the last 2 weeks, seen only by you and the facilitators. "
                             f"Please answer it by {due_text('2099-01-31')}; /measure goes on where you stopped.")
    assert fed.lines[-1].startswith("PHQ-9, question 1 of 9:")
    fed.face.handle("/measure")
    assert fed.lines[-2] == f"Questionnaire to answer: PHQ-9, due {due_text('2099-01-31')}."
    assert fed.lines[-1].startswith("PHQ-9, question 1 of 9:")


async def test_a_facilitator_hears_who_has_not_answered_by_the_due_date():
    from iop_tui.core.words import due_text

    fed = Rung("facilitator", "normal")
    fed.welcome()
    fed.synced()
    fed.event("measure.given", {"measure_id": fed.seq + 1, "measure": "gad7", "member_id": 2, "due": "2020-01-06"}, audience="member", subject=2)
    assert fed.lines[-1] == f"Questionnaire given: GAD-7 to Sam, due {due_text('2020-01-06')}."
    fed.face.handle("/measure")
    assert fed.lines[-1] == f"GAD-7 to Sam, due {due_text('2020-01-06')}: 0 of 1 done. Not yet, past the due date: Sam."
