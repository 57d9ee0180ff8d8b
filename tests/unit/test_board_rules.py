"""The relay's rules for shared boards (server.rules.decide), in memory: every refusal is one sentence and stores nothing."""

from __future__ import annotations

import pytest

from protocol.board import MAX_BOARDS, MAX_CARDS, MAX_MERGED
from protocol.errors import ErrorCode
from tests.unit.test_model import ALEX, DANA, JO, SAM, Room

pytestmark = pytest.mark.unit


def _open(room: Room, anonymous: bool = True) -> int:
    return room.do(DANA, "board.open", {"title": "What helps", "columns": ["Helps", "Will try"], "anonymous": anonymous})[0].seq


def _card(room: Room, actor=SAM, text: str = "A walk", board: int | None = None, column: int = 0) -> int:
    board = board if board is not None else max(room.state.boards)
    return room.do(actor, "card.add", {"board_id": board, "column": column, "text": text})[0].seq


def test_an_anonymous_card_is_decided_with_no_actor_and_its_writer_named_only_to_them_and_the_facilitators():
    room = Room()
    room.start()
    board = _open(room)
    drafts = room.decide(SAM, "card.add", {"board_id": board, "column": 0, "text": "A walk"})
    assert [(d.type, d.audience, d.anonymous, d.subject) for d in drafts] == [("card.author", "member", False, SAM.member_id), ("card.added", "members", True, None)]
    assert "member_id" not in drafts[1].data
    card = _card(room)
    drafts = room.decide(ALEX, "card.plus", {"card_id": card})
    assert [(d.type, d.anonymous) for d in drafts] == [("card.plussed", True), ("card.plus_by", False)]
    assert "member_id" not in drafts[0].data
    assert room.decide(SAM, "card.edit", {"card_id": card, "text": "A long walk"})[0].anonymous
    assert not room.decide(DANA, "card.remove", {"card_id": card})[0].anonymous  # a facilitator acts by name
    assert room.view(ALEX).card(card).author is None and room.view(SAM).card(card).author == SAM.member_id
    assert room.view(DANA).card(card).author == SAM.member_id


def test_a_named_board_names_the_writer_in_the_event_itself():
    room = Room()
    room.start()
    board = _open(room, anonymous=False)
    drafts = room.decide(SAM, "card.add", {"board_id": board, "column": 0, "text": "A walk"})
    assert [(d.type, d.anonymous, d.data.get("member_id")) for d in drafts] == [("card.added", False, SAM.member_id)]


def test_refusals_say_why_and_store_nothing():
    room = Room()
    assert room.refuse(DANA, "board.open", {"title": "T", "columns": ["a"]}).code == ErrorCode.CONFLICT  # no session
    room.start()
    assert room.refuse(DANA, "board.open", {"title": "T", "columns": ["Same", "same"]}).message == "Two columns have the same title; give every column a different title."
    board = _open(room)
    card = _card(room)
    assert room.refuse(SAM, "card.add", {"board_id": board, "column": 5, "text": "x"}).message == "The board has 2 columns; choose a column from 1 to 2."
    assert room.refuse(ALEX, "card.edit", {"card_id": card, "text": "mine now"}).code == ErrorCode.FORBIDDEN
    assert room.refuse(ALEX, "card.remove", {"card_id": card}).code == ErrorCode.FORBIDDEN
    room.do(ALEX, "card.plus", {"card_id": card})
    assert room.refuse(ALEX, "card.plus", {"card_id": card}).message == "You have already given card 1 a +1; one each."
    assert room.refuse(DANA, "card.merge", {"card_id": card, "into": card}).code == ErrorCode.INVALID
    assert room.refuse(JO, "card.add", {"board_id": board, "column": 0, "text": "x"}).message == "Only facilitators and participants can add cards to a board."
    assert room.refuse(SAM, "card.plus", {"card_id": 9999}).code == ErrorCode.NOT_FOUND
    room.do(DANA, "member.mute", {"member_id": SAM.member_id, "muted": True})
    assert room.refuse(SAM, "card.add", {"board_id": board, "column": 0, "text": "x"}).code == ErrorCode.FORBIDDEN
    assert room.refuse(SAM, "card.edit", {"card_id": card, "text": "y"}).code == ErrorCode.FORBIDDEN


def test_doing_nothing_new_logs_nothing():
    room = Room()
    room.start()
    board = _open(room)
    card = _card(room)
    assert room.do(SAM, "card.edit", {"card_id": card, "text": "A walk"}) == []
    assert room.do(DANA, "card.move", {"card_id": card, "column": 0}) == []
    assert room.do(DANA, "board.clear", {"board_id": board, "column": 1}) == []


def test_a_board_of_an_earlier_session_no_longer_changes():
    room = Room()
    room.start()
    board = _open(room)
    card = _card(room)
    room.do(DANA, "session.end", {})
    room.start("Week 4")
    assert room.refuse(SAM, "card.add", {"board_id": board, "column": 0, "text": "x"}).message == "The board 'What helps' belongs to an earlier session, so it cannot change now."
    assert room.refuse(ALEX, "card.plus", {"card_id": card}).code == ErrorCode.CONFLICT


def test_boards_cards_and_merges_are_bounded():
    room = Room()
    room.start()
    for _ in range(MAX_BOARDS):
        _open(room)
    assert room.refuse(DANA, "board.open", {"title": "T", "columns": ["a"]}).code == ErrorCode.CONFLICT
    board = max(room.state.boards)
    cards = [_card(room, text=f"idea {i}", board=board) for i in range(MAX_CARDS)]
    assert room.refuse(SAM, "card.add", {"board_id": board, "column": 0, "text": "one more"}).code == ErrorCode.CONFLICT
    for card in cards[1 : MAX_MERGED + 1]:
        room.do(DANA, "card.merge", {"card_id": card, "into": cards[0]})
    assert room.refuse(DANA, "card.merge", {"card_id": cards[-1], "into": cards[0]}).code == ErrorCode.CONFLICT
    merged = room.state.card(cards[0])
    assert len(merged.merged) == MAX_MERGED and not merged.removed


def test_merging_keeps_the_words_and_adds_the_plus_ones_and_clearing_keeps_the_log():
    room = Room()
    room.start()
    board = _open(room)
    one, two = _card(room, text="Walk"), _card(room, ALEX, "Run")
    room.do(SAM, "card.plus", {"card_id": two})
    room.do(DANA, "card.merge", {"card_id": two, "into": one})
    card = room.view(ALEX).card(one)
    assert card.merged == ["Run"] and card.plus == 1
    room.do(DANA, "board.clear", {"board_id": board})
    assert room.view(SAM).boards[board].live_cards() == []
    assert [e.type for e in room.log].count("card.added") == 2  # the log keeps every card


def test_a_card_with_a_watched_word_raises_an_alert_that_only_facilitators_see():
    room = Room()
    room.state.watch_words = frozenset({"hopeless", "give up"})
    room.start()
    board = _open(room)
    events = room.do(SAM, "card.add", {"board_id": board, "column": 0, "text": "Some days I feel Hopeless"})
    alert = events[-1]
    assert (alert.type, alert.audience, alert.data["member_id"], alert.data["source"]) == ("alert.raised", "facilitators", SAM.member_id, "card")
    assert alert.data["reason"] == "card 1 on the board What helps: watched words: hopeless"
    assert alert.seq not in [e.seq for e in room.seen_by(ALEX)]
    card = events[0].data["card_id"]
    assert [e.type for e in room.do(SAM, "card.edit", {"card_id": card, "text": "I want to give up"})] == ["card.edited", "alert.raised"]
    assert [e.type for e in room.do(SAM, "card.edit", {"card_id": card, "text": "A walk helps"})] == ["card.edited"]
