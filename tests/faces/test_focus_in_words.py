"""Where the keys go is shown in text on the Polls pane and the board, not by reverse video alone (80x24).

Seen in tmux: every column of the board marked its highlighted card with "> ",
so the column Left and Right had moved to was told apart only by reverse video;
on the Polls pane the radio row, the checkbox and the buttons in focus were
reverse video only. A list now marks its highlighted row with "> " while it
has the focus (as the chat log does), and a focused radio row, checkbox or
button starts with "> " too.
"""

from __future__ import annotations

from iop_tui.tui.screens.board import BoardScreen
from tests.support.apphelp import joined, screen_text, wait_until
from tests.support.wsclient import RawClient, seed


def _rows_starting(app, text: str) -> list[str]:
    return [row for row in screen_text(app).splitlines() if text in row]


async def test_only_the_board_column_in_focus_marks_its_card(relay) -> None:
    g = seed(relay.store, relay.url)
    async with RawClient(relay.url, g.facilitator.token) as dana:
        await dana.command("session.start", {"title": "Week 4"})
        board = (await dana.command("board.open", {"title": "Ideas", "columns": ["Now", "Later"], "anonymous": False}))["seq"]
        await dana.command("card.add", {"board_id": board, "column": 0, "text": "Walk"})
        await dana.command("card.add", {"board_id": board, "column": 1, "text": "Call"})
    async with joined(relay.url, g.participants[0].token) as (app, pilot):
        await pilot.press("escape", "b")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), "the board to open")
        await pilot.pause()
        row = _rows_starting(app, "Card 1: Walk")[0]
        assert row.startswith("> Card 1: Walk") and "> Card 2: Call" not in row, row
        await pilot.press("right")
        await pilot.pause()
        row = _rows_starting(app, "Card 1: Walk")[0]
        assert "> Card 2: Call" in row and not row.startswith("> "), row


async def test_the_poll_forms_radio_checkbox_and_button_in_focus_start_with_a_marker(relay) -> None:
    g = seed(relay.store, relay.url)
    async with joined(relay.url, g.facilitator.token) as (app, pilot):
        await pilot.press("f3")
        await pilot.pause()
        screen = app.session_screen()
        screen.query_one("#poll-kind").focus()
        await pilot.pause()
        assert _rows_starting(app, "(x) single")[0].strip().startswith("> (x) single")
        assert not _rows_starting(app, "( ) multiple")[0].strip().startswith(">")
        await pilot.press("down")
        await pilot.pause()
        assert _rows_starting(app, "( ) multiple")[0].strip().startswith("> ( ) multiple")
        assert not _rows_starting(app, "(x) single")[0].strip().startswith(">")
        screen.query_one("#poll-anonymous").focus()
        await pilot.pause()
        assert _rows_starting(app, "Anonymous to the group")[0].strip().startswith("> [x] Anonymous")
        assert not _rows_starting(app, "multiple")[0].strip().startswith(">"), "the radio set lost the focus"
        screen.query_one("#poll-open").focus()
        await pilot.pause()
        assert _rows_starting(app, "Open poll")[0].strip().startswith("> Open poll")
        assert not _rows_starting(app, "Anonymous to the group")[0].strip().startswith(">")
