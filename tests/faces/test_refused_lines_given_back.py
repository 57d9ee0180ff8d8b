"""A member's typing is never taken from them: a line the relay refuses comes back, in both faces.

Real faces over a real relay: the full-screen app under Textual's pilot and the
plain face on a real ClientSession; Dana is a raw websocket client. Only a
refused chat line came back before (a slowed member's, a muted member's): a
slash-command the relay refused (a muted member's check-in note to the group,
a vote, a facilitator's command) was emptied from the input once it left, and
lost when the refusal came after.
"""

from __future__ import annotations

import asyncio

from tests.support.apphelp import _key, joined, option_texts, say, text_of, wait_until
from tests.support.plainface import plain_joined, until
from tests.support.wsclient import RawClient

from iop_tui.core import words

CHECKIN = "/checkin 4 tired, hopeful --group -- a rough week at home"
MUTED_NOTE = "A facilitator has muted you, so your note cannot go to the group"


async def _muted_in_session(seeded, dana: RawClient) -> None:
    sam = seeded.participants[0]
    await asyncio.wait_for(dana.wait_synced(), 10)
    await dana.command("session.start", {"title": "Week 4"})
    await dana.command("member.mute", {"member_id": sam.member_id, "muted": True})


async def test_a_slash_command_the_relay_refuses_comes_back_to_the_chat_input(seeded) -> None:
    sam_c = seeded.participants[0]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana, joined(seeded.url, sam_c.token) as (sam, pilot):
        await _muted_in_session(seeded, dana)
        await pilot.press("f4")
        await wait_until(pilot, lambda: sam.session.model.me is not None and sam.session.model.me.muted, "Sam muted")
        await say(pilot, sam, CHECKIN)
        await wait_until(pilot, lambda: MUTED_NOTE in (sam.session.model.last_error or ""), "the relay's refusal")
        await wait_until(pilot, lambda: sam.session_screen().query_one("#chat-input").value == CHECKIN, "the line back in the input")
        assert MUTED_NOTE in text_of(sam, "#status"), "the refusal is said as text"


async def test_a_refused_line_is_kept_in_the_chat_log_when_the_member_typed_on(seeded) -> None:
    """The input is the person's again once the line left: a line given back while they
    type something new is not written over it, it is shown in the chat log to copy."""
    sam_c = seeded.participants[0]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana, joined(seeded.url, sam_c.token) as (sam, pilot):
        await _muted_in_session(seeded, dana)
        await pilot.press("f4")
        await wait_until(pilot, lambda: sam.session.model.me is not None and sam.session.model.me.muted, "Sam muted")
        sam.session.send("checkin.submit", {"mood": 4, "feelings": ["tired"], "note": "a rough week", "note_to": "group", "passed": False},
                         typed=CHECKIN)
        sam.session_screen().query_one("#chat-input").value = "something new"
        expected = words.returned_line_text(CHECKIN)
        await wait_until(pilot, lambda: expected in option_texts(sam, "#chat-log"), "the refused line in the chat log")
        assert sam.session_screen().query_one("#chat-input").value == "something new"


async def test_the_plain_face_says_a_refused_slash_command_back_whole(seeded) -> None:
    async with RawClient(seeded.url, seeded.facilitator.token) as dana, plain_joined(seeded.url, seeded.participants[0].token) as (face, session, lines):
        await _muted_in_session(seeded, dana)
        await until(lambda: session.model.me is not None and session.model.me.muted, "Sam muted")
        mark = len(lines)
        face.handle(CHECKIN)
        await until(lambda: any(MUTED_NOTE in line for line in lines[mark:]), "the relay's refusal said")
        await until(lambda: words.returned_line_text(CHECKIN) in lines[mark:], "the typed line said back")
        said = lines[mark:]
        back = said.index(words.returned_line_text(CHECKIN))
        assert MUTED_NOTE in said[back - 1], "the refusal is said first, then the line"


async def test_the_plain_prompt_gets_a_refused_line_back_to_edit(seeded) -> None:
    """At a terminal the line is back on the prompt row, ready to correct and send."""
    given: list[str] = []
    async with RawClient(seeded.url, seeded.facilitator.token) as dana, plain_joined(seeded.url, seeded.participants[0].token) as (face, session, _lines):
        face.give_back = given.append
        await _muted_in_session(seeded, dana)
        await until(lambda: session.model.me is not None and session.model.me.muted, "Sam muted")
        face.handle(CHECKIN)
        await until(lambda: given == [CHECKIN], "the line given back to the prompt")


async def test_a_card_the_relay_refuses_comes_back_to_the_boards_own_field(seeded) -> None:
    """On the board a refused card went back to the chat input under it, as "/card 1 ...",
    out of sight: it comes back to the board's field, the refusal said on the board."""
    from iop_tui.tui.screens.board import BoardScreen

    sam_c = seeded.participants[0]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana, joined(seeded.url, sam_c.token) as (sam, pilot):
        await _muted_in_session(seeded, dana)
        await dana.command("board.open", {"title": "What helps", "columns": ["Now", "Later"], "anonymous": False})
        await wait_until(pilot, lambda: sam.session.model.me is not None and sam.session.model.me.muted and sam.session.model.state.boards, "Sam muted, the board open")
        await pilot.press("f4")  # the chat input is there, under the board
        await wait_until(pilot, lambda: sam.session_screen().query("#chat-input"), "the chat pane")
        await pilot.press("escape", "b")
        await wait_until(pilot, lambda: isinstance(sam.screen, BoardScreen), "the board")
        await pilot.press("a", *[_key(c) for c in "A walk"], "enter")
        await wait_until(pilot, lambda: "muted" in (sam.session.model.last_error or ""), "the relay's refusal")
        await wait_until(pilot, lambda: sam.screen.query_one("#board-input").value == "A walk", "the card back in the board's field")
        assert "muted" in text_of_board(sam)
        assert sam.session_screen().query_one("#chat-input").value == "", "not sent to the chat input"


def text_of_board(app) -> str:
    return getattr(app.screen.query_one("#board-said"), "shown_text", "")
