"""The safety commands of the one interpreter: /urgent, /ack, /give, /answer, /measure, /contact, /checkin --at.

On a real SessionModel fed real frames (tests/unit/test_commands.py's Room): the
intent each typed line becomes, what it asks first, and its refusals.
"""

from __future__ import annotations

import pytest

from iop_tui.core import words
from iop_tui.core.safety import current_item, scores
from tests.support.commandroom import Room, sends

pytestmark = pytest.mark.unit


def test_urgent_asks_first_and_a_slip_sends_nothing(sam: Room) -> None:
    asked = sam("/urgent I don't feel safe tonight")
    assert asked.ask == words.URGENT_QUESTION
    assert asked.ask_typed == "Send an urgent request to the facilitators? They are told at once. Type /urgent yes"
    assert sends(asked) == [("urgent.raise", {"text": "I don't feel safe tonight"})], "sent only after the yes (both faces)"
    assert sends(sam("/urgent yes")) == [("urgent.raise", {"text": "I don't feel safe tonight"})]
    assert not sam("/urgent yes").ask, "a plain yes with nothing asked sends a request without words"
    assert sends(sam("/urgent yes")) == [("urgent.raise", {"text": ""})]


def test_urgent_no_cancels_what_was_asked(sam: Room) -> None:
    sam("/urgent help")
    assert sam("/urgent no").refusal == words.URGENT_NOT_SENT
    assert sends(sam("/urgent yes")) == [("urgent.raise", {"text": ""})], "the cancelled words are forgotten"
    assert sam("/urgent no").refusal == words.URGENT_NOTHING_TO_CONFIRM


def test_a_facilitator_cannot_raise_an_urgent_request(dana: Room) -> None:
    assert dana("/urgent help").refusal == words.forbidden_text("facilitator", "urgent.raise")


def _alerts(room: Room) -> tuple[int, int]:
    room.event("urgent.raised", {"member_id": 2, "text": "help"}, actor=2, name="Sam")
    first = room.seq
    room.event("alert.raised", {"member_id": 3, "source": "checkin", "reason": "mood 1, at or below 2"})
    return first, room.seq


def test_ack_acknowledges_by_number_or_the_oldest_waiting(dana: Room) -> None:
    assert dana("/ack").refusal == words.NO_ALERT_WAITING
    first, second = _alerts(dana)
    assert sends(dana("/ack")) == [("urgent.acknowledge", {"alert_id": first})]
    assert sends(dana(f"/ack {second}")) == [("urgent.acknowledge", {"alert_id": second})]
    assert dana("/ack 999").refusal == words.no_alert_text(999)
    dana.event("urgent.acknowledged", {"alert_id": first, "member_id": 2, "by": 1})
    assert dana(f"/ack {first}").refusal == f"Dana has already acknowledged alert {first}."
    assert sends(dana("/ack")) == [("urgent.acknowledge", {"alert_id": second})]


def test_only_facilitators_acknowledge_and_give(sam: Room) -> None:
    assert sam("/ack 1").refusal == words.forbidden_text("participant", "urgent.acknowledge")
    assert sam("/give phq9").refusal == words.forbidden_text("participant", "measure.give")


def test_give_a_measure_to_the_group_or_one_member(dana: Room) -> None:
    assert sends(dana("/give phq9")) == [("measure.give", {"measure": "phq9", "member_id": None})]
    assert sends(dana("/give GAD-7 sam")) == [("measure.give", {"measure": "gad7", "member_id": 2})]
    assert dana("/give bdi").refusal == words.GIVE_USAGE
    assert dana("/give phq9 Morgan").refusal == words.no_member_text("Morgan")


def test_answer_goes_to_the_next_question_of_the_oldest_unfinished_measure(sam: Room) -> None:
    assert sam("/answer 1").refusal == words.NO_MEASURE
    sam.event("measure.given", {"measure_id": sam.seq + 1, "measure": "gad7", "member_id": None})
    gad = sam.seq
    assert sam("/measure").local == "measure" and sam("/measure").arg.item == 0
    assert sends(sam("/answer 2")) == [("measure.answer", {"measure_id": gad, "item": 0, "answer": 2})]
    assert sam("/answer 4").refusal == words.ANSWER_USAGE
    assert sam("/answer").refusal == words.ANSWER_USAGE
    assert sam("/answer often").refusal == words.not_a_number_text("Your answer")
    sam.event("measure.answered", {"measure_id": gad, "measure": "gad7", "member_id": 2, "item": 0, "answer": 2}, actor=2, name="Sam")
    assert sends(sam("/answer 0")) == [("measure.answer", {"measure_id": gad, "item": 1, "answer": 0})]


def test_measure_reads_scores_when_nothing_is_left(sam: Room, dana: Room) -> None:
    for room in (sam, dana):
        for total, band in ((14, "moderate"), (11, "moderate"), (9, "mild")):
            room.event("measure.given", {"measure_id": room.seq + 1, "measure": "phq9", "member_id": 2})
            given = room.seq
            for item in range(9):
                room.event("measure.answered", {"measure_id": given, "measure": "phq9", "member_id": 2, "item": item, "answer": 1}, actor=2, name="Sam")
            room.event("measure.scored", {"measure_id": given, "measure": "phq9", "member_id": 2, "total": total, "band": band}, actor=2, name="Sam")
    assert current_item(sam.model.state, 2) is None
    assert sam("/measure").local == "scores" and sam("/measure").arg == 2
    assert scores(dana.model.state, 2, "phq9") == [(14, "moderate"), (11, "moderate"), (9, "mild")]
    assert words.trend_lines(dana.model.state, 2) == ["PHQ-9 14, 11, 9: moderate to mild"]
    assert dana("/measure sam").arg == 2 and dana("/measure").arg is None


def test_contact_sets_ones_own_or_a_facilitator_sets_a_members(sam: Room, dana: Room) -> None:
    assert sends(sam("/contact Maria, sister, 555 0100")) == [("safety.contact", {"member_id": None, "contact": "Maria, sister, 555 0100"})]
    assert sam("/contact").refusal == words.CONTACT_USAGE
    assert sends(dana("/contact Sam Maria 555 0100")) == [("safety.contact", {"member_id": 2, "contact": "Maria 555 0100"})]
    assert dana("/contact Sam").refusal == words.CONTACT_FAC_USAGE


def test_checkin_takes_an_optional_location(sam: Room) -> None:
    (_kind, data), = sends(sam("/checkin 6 calm, tired --at at home -- slept badly"))
    assert data["location"] == "at home" and data["feelings"] == ["calm", "tired"] and data["note"] == "slept badly"
    (_kind, data), = sends(sam("/checkin 6 calm"))
    assert "location" not in data


def test_safety_commands_are_offered_by_role() -> None:
    from iop_tui.core.commands import help_entries

    usages = {role: [h.usage for h in help_entries(role)] for role in ("participant", "guest", "facilitator")}
    assert "/urgent TEXT" in usages["participant"] and "/urgent TEXT" in usages["guest"]
    assert usages["participant"][2] == "/urgent TEXT", "the urgent command comes right after /help"
    assert "/ack N" in usages["facilitator"] and "/give phq9 NAME" in usages["facilitator"]
    assert "/answer N" in usages["participant"] and "/answer N" not in usages["guest"]


# -- a questionnaire due by a date, and the plan's questionnaires -----------------------------


def test_give_takes_a_due_date_read_by_the_one_due_date_parser(dana: Room) -> None:
    from iop_tui.core.plan import PlanError, resolve_due

    assert sends(dana("/give phq9 Sam due +7")) == [("measure.give", {"measure": "phq9", "member_id": 2, "due": "2030-01-17"})]
    assert sends(dana("/give gad7 due 2030-02-01")) == [("measure.give", {"measure": "gad7", "member_id": None, "due": "2030-02-01"})]
    assert sends(dana("/give phq9 zo due +1 day")) == [("measure.give", {"measure": "phq9", "member_id": 3, "due": "2030-01-11"})]
    with pytest.raises(PlanError) as err:
        resolve_due("someday", dana_today())
    assert dana("/give phq9 Sam due someday").refusal == str(err.value)
    assert dana("/give phq9 Sam due").refusal == words.GIVE_USAGE


def dana_today():
    from tests.support.commandroom import TODAY

    return TODAY


def _plan(tmp_path):
    from iop_tui.core.plan import load_plan

    (tmp_path / "deck.md").write_text("# One\n\nA slide.\n", encoding="utf-8")
    path = tmp_path / "plan.toml"
    path.write_text('deck = "deck.md"\n[[measures]]\nkind = "phq9"\n[[measures]]\nkind = "gad7"\ndue = "+7"\nto = "Sam"\n'
                    '[[measures]]\nkind = "gad7"\nto = "Morgan"\n', encoding="utf-8")
    return load_plan(path)


def test_give_plan_lists_and_gives_the_plans_questionnaires(dana: Room, tmp_path) -> None:
    plan = _plan(tmp_path)
    assert dana("/give plan").refusal == words.NO_PLAN
    listed = dana("/give plan", plan=plan)
    assert listed.local == "give plan" and not listed.sends
    assert sends(dana("/give plan 1", plan=plan)) == [("measure.give", {"measure": "phq9", "member_id": None})]
    assert sends(dana("/give plan 2", plan=plan)) == [("measure.give", {"measure": "gad7", "member_id": 2, "due": "2030-01-17"})]
    assert dana("/give plan 3", plan=plan).refusal == words.no_member_text("Morgan"), "a name the group does not have is said, not guessed"
    assert dana("/give plan 4", plan=plan).refusal == "The plan has 3 prepared questionnaires; choose a number from 1 to 3."
    assert words.planned_measure_lines(plan, dana_today())[1] == "Prepared questionnaire 2: GAD-7 to Sam, due Thursday 17 January; type /give plan 2."


def test_a_member_hears_what_is_pending_with_its_due_date(sam: Room) -> None:
    sam.event("measure.given", {"measure_id": sam.seq + 1, "measure": "phq9", "member_id": 2, "due": "2030-01-17"})
    phq = sam.seq
    sam.event("measure.given", {"measure_id": sam.seq + 1, "measure": "gad7", "member_id": None, "due": None})
    sam.event("measure.answered", {"measure_id": phq, "measure": "phq9", "member_id": 2, "item": 0, "answer": 1}, actor=2, name="Sam")
    outcome = sam("/measure")
    assert outcome.local == "measure" and outcome.arg.measure_id == phq and outcome.arg.item == 1
    assert words.pending_measures_text(sam.model.state, 2, dana_today()) == (
        "Questionnaires to answer: PHQ-9, 1 of 9 answered, due Thursday 17 January; GAD-7, no due date."
    )


def test_a_facilitator_sees_who_has_not_answered_by_the_due_date(dana: Room) -> None:
    dana.event("measure.given", {"measure_id": dana.seq + 1, "measure": "gad7", "member_id": None, "due": "2030-01-08"})
    gad = dana.seq
    dana.event("measure.given", {"measure_id": dana.seq + 1, "measure": "phq9", "member_id": 2, "due": "2030-01-17"})
    for item in range(7):
        dana.event("measure.answered", {"measure_id": gad, "measure": "gad7", "member_id": 2, "item": item, "answer": 1}, actor=2, name="Sam")
    dana.event("measure.scored", {"measure_id": gad, "measure": "gad7", "member_id": 2, "total": 7, "band": "mild", "late": True}, actor=2, name="Sam")
    assert words.measure_completion_lines(dana.model.state, dana_today()) == [
        "GAD-7 to the group, due Tuesday 8 January: 1 of 3 done. Done: Sam (late). Not yet, past the due date: Samira, Zoë 李.",
        "PHQ-9 to Sam, due Thursday 17 January: 0 of 1 done. Not yet: Sam.",
    ]
    assert dana("/measure").local == "scores" and dana("/measure").arg is None
