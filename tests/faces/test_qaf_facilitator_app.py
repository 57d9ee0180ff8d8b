"""A facilitator's small rooms in the full-screen face, as a person found them (merged product, 80x24).

Real apps driven by Textual's pilot over a real relay: the facilitator Dana
and the member Sam; Alex is a raw websocket client who is present.

- (The line above the chat input naming the breakout room is tested with the
  member's screens, tests/faces/test_qam_member_screens.py.)
- A role-play's debrief questions and observer notes are kept as rows of the
  chat log: the two-row status line cut the questions at 80 columns and the
  next notice replaced them, so a member or facilitator on the full screen
  lost them.
"""

from __future__ import annotations

import asyncio

from tests.support.apphelp import joined, live_in_chat, option_texts, say, screen_text, text_of, wait_until
from tests.support.wsclient import RawClient

from iop_tui.core.plan import DEMO_PLAN


def row_with(app, words: str) -> bool:
    return any(words in t for t in option_texts(app, "#chat-log"))


async def test_a_role_plays_debrief_questions_and_observer_notes_stay_in_the_chat_log(seeded) -> None:
    async with live_in_chat(seeded) as (_alex, dana, dpilot, sam, pilot):
        dana.load_plan(str(DEMO_PLAN))
        await say(dpilot, dana, "/roleplay plan 1 Sam=3")
        await wait_until(pilot, lambda: text_of(sam, "#chat-rooms").startswith("Observing"), "Sam observes")
        await say(pilot, sam, "/observe The ask came in one clear sentence.")
        await wait_until(dpilot, lambda: row_with(dana, "Observer note, Sam: The ask came in one clear sentence."), "the note in Dana's log")
        await say(dpilot, dana, "/debrief")
        question = "3. What would you try next time?"
        await wait_until(pilot, lambda: row_with(sam, question), "the debrief questions in Sam's log")
        await wait_until(dpilot, lambda: row_with(dana, question), "the debrief questions in Dana's log")


async def test_a_slowed_members_refused_line_comes_back_to_the_chat_input(seeded) -> None:
    """README: 'the full-screen input keeps the line' when the relay refuses a line that came
    too soon; the input was emptied once the line left, and the refusal came after."""
    sam_c = seeded.participants[0]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana, joined(seeded.url, sam_c.token) as (sam, pilot):
        await asyncio.wait_for(dana.wait_synced(), 10)
        await dana.command("session.start", {"title": "Week 4"})
        await dana.command("member.slow", {"member_id": sam_c.member_id, "seconds": 60})
        await pilot.press("f4")
        await wait_until(pilot, lambda: sam.session.model.state.slowed.get(sam_c.member_id) == 60, "Sam slowed")
        await say(pilot, sam, "first line")
        await wait_until(pilot, lambda: row_with(sam, "Sam: first line"), "the first line")
        await say(pilot, sam, "a second line typed with care")
        await wait_until(pilot, lambda: "pace yourself" in (sam.session.model.last_error or ""), "the refusal")
        await wait_until(pilot, lambda: sam.session_screen().query_one("#chat-input").value == "a second line typed with care", "the line back in the input")


async def test_the_footers_pane_keys_work_over_the_board_and_the_resources(seeded) -> None:
    """The board's footer (and the resources view's) teaches "F1-6 Panes"; pressed there, the
    key changed the pane hidden under the view and nothing visible happened. A pane key over a
    view now closes it, as Escape does, and brings the pane forward."""
    from iop_tui.tui.screens.between import BetweenScreen
    from iop_tui.tui.screens.board import BoardScreen

    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await dpilot.press("f4")
        await say(dpilot, dana, "/start Week 4")
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session")
        await say(dpilot, dana, '/board open "What helps me" Walks; Calls')
        await wait_until(dpilot, lambda: dana.session.model.state.boards, "the board")
        await dpilot.press("escape", "b")
        await wait_until(dpilot, lambda: isinstance(dana.screen, BoardScreen), "the board to open")
        await dpilot.press("f2")
        await wait_until(dpilot, lambda: dana.screen is dana.session_screen() and dana.session_screen().active_pane == "slides", "F2 to close the board and show the slides")
        await dpilot.press("f4")
        await say(dpilot, dana, "/resources")
        await wait_until(dpilot, lambda: isinstance(dana.screen, BetweenScreen), "the resources view")
        await dpilot.press("f6")
        await wait_until(dpilot, lambda: dana.screen is dana.session_screen() and dana.session_screen().active_pane == "people", "F6 to close the view and show the people")


async def test_the_footer_of_the_board_and_the_resources_fits_80_columns_with_f12_hide(seeded) -> None:
    """Under the board the footer read "f12^p palette": Textual's palette key ran over F12's
    word "Hide" at 80 columns. The views' footers are the session screen's: compact, no
    palette key (Ctrl+P is in the keys hint)."""
    from iop_tui.tui.screens.between import BetweenScreen
    from iop_tui.tui.screens.board import BoardScreen

    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await dpilot.press("f4")
        await say(dpilot, dana, "/start Week 4")
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session")
        await say(dpilot, dana, '/board open "What helps me" Walks; Calls')
        await wait_until(dpilot, lambda: dana.session.model.state.boards, "the board")
        await dpilot.press("escape", "b")
        await wait_until(dpilot, lambda: isinstance(dana.screen, BoardScreen), "the board to open")
        await dpilot.pause()
        footer = screen_text(dana).rstrip("\n").split("\n")[-1]
        assert "f12 Hide" in footer and "F1-6 Panes" in footer and "palette" not in footer, footer
        await dpilot.press("escape")
        await dpilot.press("f4")
        await say(dpilot, dana, "/resources")
        await wait_until(dpilot, lambda: isinstance(dana.screen, BetweenScreen), "the resources view")
        await dpilot.pause()
        footer = screen_text(dana).rstrip("\n").split("\n")[-1]
        assert "palette" not in footer, footer


async def test_after_a_resize_the_header_and_tabs_fit_the_new_width_not_the_old_one(seeded) -> None:
    """Back at 80 columns from 100, the header and the tab row were fitted to 100 (the resize
    handler ran before Textual stored the new size): the header was cut ("... · Phase:
    Check-in since") and the tabs kept the wide spacing, until the next resize."""
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        dana.session.send("session.start", {"title": "Week 3: Reframing thoughts"})
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session")
        await dpilot.pause(0.3)
        before = screen_text(dana).split("\n")[:2]
        await dpilot.resize_terminal(100, 30)
        await dpilot.pause(0.3)
        wide = screen_text(dana).split("\n")[:2]
        assert "  2 Slides  " in wide[1], wide  # roomy tabs at 100 columns
        await dpilot.resize_terminal(80, 24)
        await dpilot.pause(0.3)
        assert screen_text(dana).split("\n")[:2] == before


async def test_the_closing_screen_teaches_only_the_key_that_works_there(seeded) -> None:
    """A guest's closing screen ("The family session has ended, and your invitation with it")
    had the session's footer: F1-6 Panes and F9 Help now, neither of which works once the
    session is over. It says "Press Q to quit." and teaches nothing else."""
    from iop_tui.tui.screens.fatal import FatalScreen

    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await dana.command("session.start", {"title": "Family week"})
        async with joined(seeded.url, seeded.guest.token) as (app, pilot):
            await dana.command("member.remove", {"member_id": seeded.guest.member_id})
            await wait_until(pilot, lambda: isinstance(app.screen, FatalScreen), "the closing screen")
            await pilot.pause()
            shown = screen_text(app)
            assert "Press Q to quit." in shown
            assert "F1-6" not in shown and "Help now" not in shown, shown
