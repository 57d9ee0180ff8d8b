"""Safety without I/O: the published PHQ-9 and GAD-7 scoring, urgent help, alerts, safety details.

The rules run through the real validation and :func:`server.rules.decide`, in
the in-memory room of ``test_model``; who may read each event is checked with
the one audience rule.
"""

from __future__ import annotations

import pytest

from protocol.errors import ErrorCode
from protocol.measures import ANSWERS, GAD7, MEASURES, PHQ9, band, needs_alert, score
from protocol.roles import FACILITATORS, MEMBER
from tests.unit.test_model import ALEX, CASEY, DANA, JO, SAM, Room


@pytest.fixture
def live() -> Room:
    room = Room()
    room.start()
    return room

# -- the measures against the published tables ---------------------------------------

PHQ9_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 19, "moderately severe"), (20, 27, "severe")]
GAD7_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]


@pytest.mark.parametrize(("measure", "table"), [(PHQ9, PHQ9_BANDS), (GAD7, GAD7_BANDS)])
def test_every_possible_total_falls_in_its_published_band(measure, table):
    assert len(measure.items) == {"phq9": 9, "gad7": 7}[measure.key]
    assert measure.maximum == table[-1][1]
    for total in range(measure.maximum + 1):
        expected = next(name for low, high, name in table if low <= total <= high)
        assert band(measure, total) == expected, total
    with pytest.raises(ValueError):
        band(measure, measure.maximum + 1)


def test_the_answer_scale_is_the_published_one():
    assert ANSWERS == ((0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day"))


def test_a_total_needs_every_item_answered_and_sums_them():
    assert score(PHQ9, dict.fromkeys(range(9), 3)) == 27
    assert score(GAD7, {i: i % 4 for i in range(7)}) == 0 + 1 + 2 + 3 + 0 + 1 + 2
    with pytest.raises(ValueError):
        score(PHQ9, dict.fromkeys(range(8), 1))


def test_only_phq9_item_9_above_0_needs_an_alert():
    assert PHQ9.items[8].startswith("Thoughts that you would be better off dead")
    assert [needs_alert(PHQ9, 8, a) for a in range(4)] == [False, True, True, True]
    assert not any(needs_alert(m, i, 3) for m in MEASURES.values() for i in range(len(m.items)) if (m, i) != (PHQ9, 8))


# -- urgent help --------------------------------------------------------------------


def test_a_member_asks_for_urgent_help_between_sessions_and_only_the_facilitators_and_they_see_it():
    room = Room()  # no session
    raised = room.do(SAM, "urgent.raise", {"text": "I don't feel safe tonight"})
    assert [(e.type, e.audience, e.subject) for e in raised] == [("urgent.raised", MEMBER, SAM.member_id)]
    alert_id = raised[0].seq
    for reader in (DANA, CASEY, SAM):
        assert alert_id in room.view(reader).alerts
    for reader in (ALEX, JO):
        assert room.view(reader).alerts == {} and raised[0] not in room.seen_by(reader)
    ack = room.do(CASEY, "urgent.acknowledge", {"alert_id": alert_id})
    assert [(e.type, e.audience, e.subject) for e in ack] == [("urgent.acknowledged", MEMBER, SAM.member_id)]
    assert room.view(SAM).alerts[alert_id].acknowledged_name == "Casey"
    assert room.view(DANA).unacknowledged() == []
    again = room.refuse(DANA, "urgent.acknowledge", {"alert_id": alert_id})
    assert again.code == ErrorCode.CONFLICT and "Casey" in again.message
    assert room.refuse(DANA, "urgent.acknowledge", {"alert_id": 999}).code == ErrorCode.NOT_FOUND


def test_a_muted_member_can_still_ask_for_urgent_help(live: Room):
    live.do(DANA, "member.mute", {"member_id": SAM.member_id})
    assert live.do(SAM, "urgent.raise", {})[0].type == "urgent.raised"


def test_only_facilitators_acknowledge():
    room = Room()
    alert_id = room.do(SAM, "urgent.raise", {"text": "help"})[0].seq
    for who in (SAM, ALEX, JO):
        assert room.refuse(who, "urgent.acknowledge", {"alert_id": alert_id}).code == ErrorCode.FORBIDDEN


# -- alerts from check-ins ---------------------------------------------------------------


@pytest.mark.parametrize(("mood", "alert"), [(0, True), (2, True), (3, False), (None, False)])
def test_a_low_mood_at_or_below_the_threshold_raises_a_facilitators_only_alert(live: Room, mood, alert):
    data = {"mood": mood, "feelings": ["tired"]} if mood is not None else {"passed": True}
    events = live.do(SAM, "checkin.submit", data)
    alerts = [e for e in events if e.type == "alert.raised"]
    assert bool(alerts) == alert
    for e in alerts:
        assert e.audience == FACILITATORS and e.data["member_id"] == SAM.member_id and e.data["source"] == "checkin"
        assert e not in live.seen_by(SAM) and e not in live.seen_by(ALEX) and e not in live.seen_by(JO)
        assert e in live.seen_by(CASEY)


def test_the_groups_threshold_and_watch_words_decide(live: Room):
    live.state.alert_mood = 4
    live.state.watch_words = frozenset({"hopeless"})
    assert [e for e in live.do(SAM, "checkin.submit", {"mood": 4}) if e.type == "alert.raised"]
    watched = [e for e in live.do(ALEX, "checkin.submit", {"mood": 8, "feelings": ["calm", "Hopeless"]}) if e.type == "alert.raised"]
    assert watched and "Hopeless" in watched[0].data["reason"]
    assert not [e for e in live.do(ALEX, "checkin.submit", {"mood": 8, "feelings": ["calm"]}) if e.type == "alert.raised"]


def test_a_location_confirmed_at_check_in_is_for_the_facilitators_and_the_member(live: Room):
    events = live.do(SAM, "checkin.submit", {"mood": 6, "location": "  at home "})
    located = [e for e in events if e.type == "checkin.location"]
    assert [(e.audience, e.subject, e.data["location"]) for e in located] == [(MEMBER, SAM.member_id, "at home")]
    assert live.view(DANA).locations == {SAM.member_id: "at home"}
    assert live.view(ALEX).locations == {} and live.view(JO).locations == {}


def test_an_emergency_contact_is_set_by_the_member_or_a_facilitator_and_seen_by_them_only():
    room = Room()
    room.do(SAM, "safety.contact", {"contact": "Lee (sister) 555-0100"})
    room.do(DANA, "safety.contact", {"member_id": ALEX.member_id, "contact": "Kim 555-0199"})
    assert room.view(CASEY).contacts == {SAM.member_id: "Lee (sister) 555-0100", ALEX.member_id: "Kim 555-0199"}
    assert room.view(SAM).contacts == {SAM.member_id: "Lee (sister) 555-0100"}
    assert room.refuse(SAM, "safety.contact", {"member_id": ALEX.member_id, "contact": "x"}).code == ErrorCode.FORBIDDEN
    assert room.refuse(JO, "safety.contact", {"contact": "x"}).code == ErrorCode.FORBIDDEN


# -- questionnaires -----------------------------------------------------------------------


def test_a_member_answers_a_phq9_item_by_item_can_stop_and_go_on_and_is_scored_by_the_bands():
    room = Room()
    given = room.do(DANA, "measure.give", {"measure": "phq9"})[0]
    assert given.type == "measure.given" and given.data["member_id"] is None
    answers = [2, 2, 1, 2, 1, 1, 1, 0, 0]  # total 10: moderate
    for item in range(4):
        room.do(SAM, "measure.answer", {"measure_id": given.seq, "item": item, "answer": answers[item]})
    assert room.view(SAM).responses[(given.seq, SAM.member_id)].total is None  # stopped halfway
    room.do(SAM, "measure.answer", {"measure_id": given.seq, "item": 0, "answer": answers[0]})  # changing an answer is fine
    last = []
    for item in range(4, 9):
        last = room.do(SAM, "measure.answer", {"measure_id": given.seq, "item": item, "answer": answers[item]})
    scored = [e for e in last if e.type == "measure.scored"]
    assert [(e.data["total"], e.data["band"], e.audience, e.subject) for e in scored] == [(10, "moderate", MEMBER, SAM.member_id)]
    for reader in (DANA, SAM):
        assert room.view(reader).responses[(given.seq, SAM.member_id)].total == 10
    for reader in (ALEX, JO):
        assert room.view(reader).responses == {}
    done = room.refuse(SAM, "measure.answer", {"measure_id": given.seq, "item": 1, "answer": 0})
    assert done.code == ErrorCode.CONFLICT


@pytest.mark.parametrize("answer", [0, 1, 3])
def test_phq9_item_9_above_0_raises_a_facilitators_only_alert_at_once(answer):
    room = Room()
    given = room.do(DANA, "measure.give", {"measure": "phq9", "member_id": SAM.member_id})[0]
    assert (given.audience, given.subject) == (MEMBER, SAM.member_id)
    events = room.do(SAM, "measure.answer", {"measure_id": given.seq, "item": 8, "answer": answer})
    alerts = [e for e in events if e.type == "alert.raised"]
    assert bool(alerts) == (answer > 0)
    for e in alerts:
        assert e.audience == FACILITATORS and e.data["source"] == "measure" and "question 9" in e.data["reason"]
        assert e not in room.seen_by(SAM)


def test_a_measure_given_to_one_member_is_theirs_alone_to_answer():
    room = Room()
    given = room.do(DANA, "measure.give", {"measure": "gad7", "member_id": SAM.member_id})[0].seq
    assert room.refuse(ALEX, "measure.answer", {"measure_id": given, "item": 0, "answer": 1}).code == ErrorCode.NOT_FOUND
    assert room.refuse(SAM, "measure.answer", {"measure_id": given, "item": 7, "answer": 1}).code == ErrorCode.INVALID
    assert room.refuse(DANA, "measure.give", {"measure": "gad7", "member_id": JO.member_id}).code == ErrorCode.INVALID


# -- a questionnaire due by a date, answered between sessions --------------------------


def test_a_measure_given_with_a_due_date_carries_it_to_its_audience_only():
    room = Room()  # no session: a facilitator gives it between sessions
    (one,) = room.do(DANA, "measure.give", {"measure": "phq9", "member_id": SAM.member_id, "due": "2026-12-05"})
    assert one.data["due"] == "2026-12-05" and (one.audience, one.subject) == (MEMBER, SAM.member_id)
    assert one in room.seen_by(SAM) and one in room.seen_by(CASEY) and one not in room.seen_by(ALEX) and one not in room.seen_by(JO)
    (group,) = room.do(DANA, "measure.give", {"measure": "gad7"})
    assert group.data["due"] is None, "without a date it is answered whenever the member can"
    assert room.view(SAM).measures[one.seq].due == "2026-12-05"


def test_a_due_date_in_the_past_is_refused():
    room = Room()
    err = room.refuse(DANA, "measure.give", {"measure": "phq9", "due": "2026-11-27"})
    assert err.code == ErrorCode.INVALID and "in the past" in err.message
    assert room.refuse(DANA, "measure.give", {"measure": "phq9", "due": "next week"}).code == ErrorCode.INVALID


@pytest.mark.parametrize(("days_later", "late"), [(0, False), (7, False), (8, True)])
def test_a_measure_finished_after_its_due_date_is_scored_late(days_later, late):
    room = Room()
    given = room.do(DANA, "measure.give", {"measure": "gad7", "due": "2026-12-05"})[0].seq
    room.now += days_later * 86400
    events = [e for item in range(7) for e in room.do(SAM, "measure.answer", {"measure_id": given, "item": item, "answer": 1})]
    (scored,) = [e for e in events if e.type == "measure.scored"]
    assert scored.data["late"] is late and scored.audience == MEMBER and scored.subject == SAM.member_id
    assert room.view(DANA).responses[(given, SAM.member_id)].late is late
