"""The timed agenda (iop_tui.core.agenda) and a plan's [agenda] and [[boards]], without a socket."""

from __future__ import annotations

from pathlib import Path

import pytest

from iop_tui.core.agenda import AgendaWatch, planned_end
from iop_tui.core.plan import PlanError, load_plan
from protocol.events import Event
from protocol.state import GroupState


def _state(phase: str, since: float) -> GroupState:
    state = GroupState()
    state.apply(Event(1, "session.started", since - 100, 1, "Dana", "everyone", None, {"session_id": 1, "title": "W"}))
    state.apply(Event(2, "phase.changed", since, 1, "Dana", "everyone", None, {"phase": phase}))
    return state


def test_a_phase_with_planned_minutes_wakes_the_face_twice_five_minutes_before_and_at_its_end():
    state = _state("exercises", 1000.0)
    watch = AgendaWatch({"exercises": 20})
    assert planned_end(watch.minutes, state) == 1000.0 + 1200
    assert watch.next_at(state, 1000.0) == 1000.0 + 900
    assert watch.due(state, 1500.0) == []
    assert watch.due(state, 1900.0)[0].startswith("Five minutes left in Exercises: planned to end at ")
    assert watch.due(state, 1901.0) == []  # said once
    assert watch.next_at(state, 1901.0) == 2200.0
    assert watch.due(state, 2200.0) == ["Exercises has reached its 20 planned minutes; /phase moves on when you are ready."]
    assert watch.next_at(state, 2200.0) is None  # nothing more: no tick


def test_a_phase_without_planned_minutes_schedules_nothing_and_a_late_joiner_hears_no_stale_news():
    state = _state("discussion", 1000.0)
    assert AgendaWatch({"exercises": 20}).next_at(state, 1000.0) is None
    late = AgendaWatch({"discussion": 10})
    assert late.due(state, 1000.0 + 3600) == []  # the phase ran over an hour ago: not announced as news
    assert late.next_at(state, 1000.0 + 3600) is None
    short = AgendaWatch({"discussion": 3})  # shorter than five minutes: only the end
    assert short.next_at(state, 1000.0) == 1180.0


def _plan(tmp_path: Path, body: str) -> Path:
    (tmp_path / "deck.md").write_text("# One\n\nA slide.\n", encoding="utf-8")
    path = tmp_path / "plan.toml"
    path.write_text('deck = "deck.md"\n' + body, encoding="utf-8")
    return path


def test_a_plan_gives_phases_minutes_and_prepares_boards(tmp_path):
    plan = load_plan(_plan(tmp_path, '[agenda]\ncheckin = 10\nexercises = 20\n[[boards]]\ntitle = "What helps"\ncolumns = ["Helps", "Will try"]\nanonymous = true\n'))
    assert plan.minutes == {"checkin": 10, "exercises": 20}
    assert plan.board(1).command() == ("board.open", {"title": "What helps", "columns": ["Helps", "Will try"], "anonymous": True})
    assert plan.board(1).describe() == "What helps: Helps; Will try (anonymous)"


@pytest.mark.parametrize("body, said", [
    ("[agenda]\nexercise = 20\n", "[agenda] has 'exercise', which is not a phase"),
    ("[agenda]\nexercises = 0\n", "exercises in [agenda] must be a whole number of minutes from 1 to 240"),
    ("[agenda]\nexercises = \"20\"\n", "exercises in [agenda] must be a whole number of minutes"),
    ('[[boards]]\ntitle = "T"\ncolumns = []\n', "'columns' in board 1 must be a list of column titles"),
    ('[[boards]]\ntitle = "T"\ncolumns = ["a", "b", "c", "d", "e", "f", "g"]\n', "A board has too many columns: at most 6."),
])
def test_a_plan_with_a_wrong_agenda_or_board_says_where_in_one_sentence(tmp_path, body, said):
    with pytest.raises(PlanError) as err:
        load_plan(_plan(tmp_path, body))
    assert said in str(err.value)
