"""Boards and moods in the one interpreter and in words, on a real SessionModel fed real frames (no socket)."""

from __future__ import annotations

import pytest

from iop_tui.core import words
from iop_tui.core.chart import PASSED, mood_chart
from iop_tui.core.commands import Send
from tests.support.commandroom import Room, sends

pytestmark = pytest.mark.unit


def _board(room: Room, *, anonymous: bool = True) -> None:
    """Board 10 with two columns; Sam wrote card 1 (the writer learns it privately), Zoë card 2."""
    room.event("board.opened", {"board_id": 10, "title": "What helps", "columns": ["What helps", "What I will try"], "anonymous": anonymous})
    me = room.model.me_id
    author = {} if anonymous else {"member_id": 2}
    room.event("card.added", {"card_id": 11, "board_id": 10, "number": 1, "column": 0, "text": "A walk", **author}, actor=0 if anonymous else 2, name="" if anonymous else "Sam")
    if anonymous and me in (1, 2):  # what the relay sends the writer and the facilitators
        room.event("card.author", {"card_id": 11, "member_id": 2}, actor=2, name="Sam")
    author = {} if anonymous else {"member_id": 3}
    room.event("card.added", {"card_id": 13, "board_id": 10, "number": 2, "column": 1, "text": "Tea", **author}, actor=0 if anonymous else 3, name="" if anonymous else "Zoë 李")


def test_a_card_goes_to_a_column_named_by_number_or_by_a_word_of_its_title():
    room = Room("participant")
    _board(room)
    assert sends(room("/card 2 Call my sister")) == [("card.add", {"board_id": 10, "column": 1, "text": "Call my sister"})]
    assert sends(room("/card try Call my sister")) == [("card.add", {"board_id": 10, "column": 1, "text": "Call my sister"})]
    assert room("/card what Call").refusal == "The board has no column 'what'; choose one by number or first word: 1 What helps; 2 What I will try."
    assert room("/card 3 Call").refusal.startswith("The board has no column '3'")
    assert room("/card helps").refusal == words.CARD_USAGE


def test_a_member_edits_and_removes_only_their_own_card_and_gives_one_plus_one():
    room = Room("participant")
    _board(room)
    assert sends(room("/card edit 1 A long walk")) == [("card.edit", {"card_id": 11, "text": "A long walk"})]
    assert room("/card edit 2 Coffee").refusal == "Card 2 is not yours; you can edit only your own cards."
    assert room("/card remove 2").refusal == "Card 2 is not yours; you can remove only your own cards."
    assert sends(room("/plus 2")) == [("card.plus", {"card_id": 13})]
    assert room("/plus 5").refusal == words.no_card_text(5)
    assert room("/card move 1 2").refusal == "As a participant you cannot move cards between columns."


def test_a_facilitator_opens_moves_merges_and_clears_after_a_question():
    room = Room("facilitator")
    assert sends(room('/board open "Week 3" What helps; What I will try anonymous')) == [
        ("board.open", {"title": "Week 3", "columns": ["What helps", "What I will try"], "anonymous": True})]
    assert room("/board open Week 3").refusal == words.BOARD_USAGE
    _board(room)
    assert sends(room("/card move 1 try")) == [("card.move", {"card_id": 11, "column": 1})]
    assert sends(room("/card merge 2 1")) == [("card.merge", {"card_id": 13, "into": 11})]
    asked = room("/board clear helps")
    assert asked.ask.startswith("Clear column 1, What helps of the board What helps? Its one card goes from the board (it stays in") and asked.sends == (Send("board.clear", {"board_id": 10, "column": 0}),)
    assert not room("/board clear yes").ask and sends(room("/board clear yes")) == [("board.clear", {"board_id": 10, "column": None})]
    assert room("/board plan").refusal == words.NO_PLAN


def test_a_guest_has_no_board():
    room = Room("guest")
    assert room("/card 1 hi").refusal == "As a guest you cannot add cards to a board."
    assert room("/plus 1").refusal == "As a guest you cannot add a +1 to a card."


@pytest.mark.parametrize("role, sam_sees", [("participant", "Card 1: A walk. Yours."), ("facilitator", "Card 1: A walk. By Sam.")])
def test_on_an_anonymous_board_only_the_writer_and_the_facilitators_know_whose_card_it_is(role, sam_sees):
    room = Room(role)
    _board(room)
    lines = words.board_lines(room.model.state, room.model.me_id)
    assert sam_sees in lines[2]
    assert lines[4].strip() == "Card 2: Tea." if role == "participant" else "Card 2: Tea. By Zoë 李."
    notices = [n.text for n in room.model.apply({"kind": "event", "seq": 99, "type": "card.added", "ts": 1.0, "actor": 0, "actor_name": "",
                                                 "audience": "members", "subject": None,
                                                 "data": {"card_id": 99, "board_id": 10, "number": 3, "column": 0, "text": "Sleep"}})]
    assert notices == ["Card 3, What helps: Sleep"]


def test_a_named_board_names_each_writer_to_everyone():
    room = Room("participant")
    _board(room, anonymous=False)
    assert words.board_lines(room.model.state, room.model.me_id)[4].strip() == "Card 2: Tea. By Zoë 李."


def test_moods_are_said_in_figures_and_drawn_as_text_characters():
    assert words.mood_text([3, 4, None, 5]) == "Your mood: 3, 4, passed, 5 over four sessions."
    assert words.mood_text([7], "Sam") == "Sam's mood: 7 over one session."
    assert mood_chart([0, 10, None]) == "▁█" + PASSED
    assert words.count_words(13, "session") == "13 sessions"


def test_a_guest_cannot_read_a_board_and_a_participant_hears_how_to_add_a_card():
    assert Room("guest")("/board").refusal == words.GUEST_NO_BOARD
    room = Room("participant")
    _board(room)
    opened = {"kind": "event", "seq": 1, "type": "board.opened", "ts": 1.0, "actor": 1, "actor_name": "Dana", "audience": "members",
              "subject": None, "data": {"board_id": 10}}
    assert words.hint_for(opened, room.model.state, room.model.me_id) == words.BOARD_HINT
