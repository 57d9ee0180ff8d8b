"""Session plans: loading the demo plan, one-sentence errors, and the commands a plan sends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from iop_tui.core.plan import DEMO_PLAN, PlanError, load_plan, resolve_due
from protocol.deck import parse_deck
from protocol.messages import parse_command

TODAY = dt.date(2026, 11, 28)
DECK = "# One\n\nFirst slide.\n\nNotes:\nsay hello\n\n---\n\n# Two\n\nSecond slide.\n"


def write_plan(tmp_path: Path, toml: str, deck: str | None = DECK) -> Path:
    if deck is not None:
        (tmp_path / "deck.md").write_text(deck, encoding="utf-8")
    path = tmp_path / "plan.toml"
    path.write_text(toml, encoding="utf-8")
    return path


def one_sentence(message: str) -> None:
    assert message and "\n" not in message and "Traceback" not in message
    assert message.rstrip().endswith(".")


def test_demo_plan_is_complete_and_valid():
    plan = load_plan(DEMO_PLAN, TODAY)
    assert plan.title == "Week 3: Reframing thoughts"
    deck = parse_deck(plan.markdown)
    assert 6 <= len(deck.slides) <= 10
    assert all(slide.notes for slide in deck.slides), "every demo slide has presenter notes"
    assert "ABC" in plan.markdown and "balanced thought" in plan.markdown.lower()
    kinds = [p.kind for p in plan.polls]
    assert "scale" in kinds and "single" in kinds and "quiz" in kinds
    quiz = next(p for p in plan.polls if p.kind == "quiz")
    assert quiz.correct is not None and quiz.options[quiz.correct] == "Emotional reasoning"
    (measure,) = plan.measures
    assert measure.command(TODAY, None) == ("measure.give", {"measure": "phq9", "member_id": None, "due": "2026-12-05"})
    (homework,) = plan.homework
    kind, data = homework.command(TODAY)
    assert kind == "homework.assign" and data["due"] == "2026-12-04"
    assert data["homework_kind"] in ("checklist", "text")


def test_commands_load_the_deck_and_open_no_poll():
    plan = load_plan(DEMO_PLAN, TODAY)
    commands = plan.commands(TODAY)
    assert commands[0] == ("deck.load", {"markdown": plan.markdown})
    assert not any(kind == "poll.open" for kind, _ in commands)
    assert not any(kind == "homework.assign" for kind, _ in commands), "the demo plan assigns homework later"
    for kind, data in commands + plan.assignments(TODAY) + [p.command() for p in plan.polls]:
        parse_command({"kind": kind, "id": "x", "data": data})  # every command passes the protocol's validation


def test_homework_assigned_at_load_when_asked(tmp_path):
    path = write_plan(tmp_path, 'deck = "deck.md"\n[[homework]]\ntitle = "Journal"\nkind = "text"\ndue = "2026-12-01"\nassign_at_load = true\n')
    plan = load_plan(path, TODAY)
    kinds = [k for k, _ in plan.commands(TODAY)]
    assert kinds == ["deck.load", "homework.assign"]
    assert plan.commands(TODAY)[1][1]["due"] == "2026-12-01"


def test_quiz_correct_is_counted_from_one(tmp_path):
    path = write_plan(tmp_path, 'deck = "deck.md"\n[[polls]]\nquestion = "Q?"\nkind = "quiz"\noptions = ["a", "b", "c"]\ncorrect = 3\n')
    plan = load_plan(path, TODAY)
    assert plan.poll(1).command()[1]["correct"] == 2
    with pytest.raises(PlanError) as err:
        plan.poll(2)
    one_sentence(str(err.value))


@pytest.mark.parametrize(
    "toml, deck, expected",
    [
        ('deck = "missing.md"\n', None, "no file"),
        ('deck = "deck.md"\ncolour = "red"\n', DECK, "unknown key 'colour'"),
        ('deck = "deck.md"\n[[polls]]\nquestion = "Q"\nkind = "single"\noptions = ["a", "b"]\nrandom = 1\n', DECK, "unknown key 'random' in poll 1"),
        ('deck = "deck.md"\ntitle = "x\n', DECK, "line 2"),
        ('deck = "deck.md"\n[[polls]]\nquestion = "Q"\nkind = "vote"\noptions = ["a", "b"]\n', DECK, "kind 'vote'"),
        ('deck = "deck.md"\n[[polls]]\nquestion = "Q"\nkind = "quiz"\noptions = ["a", "b"]\n', DECK, "needs 'correct'"),
        ('deck = "deck.md"\n[[polls]]\nquestion = "Q"\nkind = "quiz"\noptions = ["a", "b"]\ncorrect = 3\n', DECK, "from 1 to 2"),
        ('deck = "deck.md"\n[[homework]]\ntitle = "T"\nkind = "text"\ndue = "next week"\n', DECK, "not a date"),
        ('deck = "deck.md"\n[[homework]]\ntitle = "T"\nkind = "checklist"\ndue = "+3 days"\n', DECK, "needs 'items'"),
        ('deck = "deck.md"\n', "\n---\n\n---\n", "no slides"),
        ('title = "no deck"\n', DECK, "needs a 'deck'"),
    ],
)
def test_errors_are_one_sentence(tmp_path, toml, deck, expected):
    path = write_plan(tmp_path, toml, deck)
    with pytest.raises(PlanError) as err:
        load_plan(path, TODAY)
    message = str(err.value)
    one_sentence(message)
    assert expected in message


def test_missing_plan_file(tmp_path):
    with pytest.raises(PlanError) as err:
        load_plan(tmp_path / "nope.toml", TODAY)
    one_sentence(str(err.value))
    assert "no plan file" in str(err.value)


def test_resolve_due():
    assert resolve_due("+6 days", TODAY) == "2026-12-04"
    assert resolve_due("+1 day", TODAY) == "2026-11-29"
    assert resolve_due("2027-01-05", TODAY) == "2027-01-05"
    with pytest.raises(PlanError):
        resolve_due("2027-13-05", TODAY)


MEASURES_PLAN = (
    'deck = "deck.md"\n'
    '[[measures]]\nkind = "phq9"\n'
    '[[measures]]\nkind = "gad7"\ndue = "+7"\nto = "Sam"\n'
)


def test_measures_in_a_plan_are_prepared_not_given_at_load(tmp_path):
    plan = load_plan(write_plan(tmp_path, MEASURES_PLAN), TODAY)
    assert [(m.kind, m.due, m.to) for m in plan.measures] == [("phq9", None, None), ("gad7", "+7", "Sam")]
    assert not any(kind == "measure.give" for kind, _ in plan.commands(TODAY)), "a questionnaire is given when the facilitator says"
    assert plan.measure(1).command(TODAY, None) == ("measure.give", {"measure": "phq9", "member_id": None})
    assert plan.measure(2).command(TODAY, 2) == ("measure.give", {"measure": "gad7", "member_id": 2, "due": "2026-12-05"})
    assert plan.measure(1).describe(TODAY) == "PHQ-9 to the group"
    assert plan.measure(2).describe(TODAY) == "GAD-7 to Sam, due Saturday 5 December"
    with pytest.raises(PlanError) as err:
        plan.measure(3)
    one_sentence(str(err.value))
    for number in (1, 2):
        kind, data = plan.measure(number).command(TODAY, 2)
        parse_command({"kind": kind, "id": "x", "data": data})


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('deck = "deck.md"\n[[measures]]\nkind = "bdi"\n', "measure 1 has kind 'bdi'; use one of phq9, gad7"),
        ('deck = "deck.md"\n[[measures]]\nkind = "phq9"\ndue = "soon"\n', "measure 1: The due date 'soon' is not a date"),
        ('deck = "deck.md"\n[[measures]]\nkind = "phq9"\ndue = "2026-11-01"\n', "measure 1: The due date 2026-11-01 is in the past"),
        ('deck = "deck.md"\n[[measures]]\nkind = "phq9"\nwho = "Sam"\n', "unknown key 'who' in measure 1"),
        ('deck = "deck.md"\n[[measures]]\nkind = "phq9"\nto = 3\n', "'to' in measure 1 must be text in quotes"),
        ('deck = "deck.md"\nmeasures = "phq9"\n', "write questionnaires as [[measures]] tables"),
    ],
)
def test_a_measure_in_a_plan_is_checked_when_the_plan_loads(tmp_path, toml, expected):
    with pytest.raises(PlanError) as err:
        load_plan(write_plan(tmp_path, toml), TODAY)
    assert expected in str(err.value)
    one_sentence(str(err.value))
