"""The chat log drawn row by row (iop_tui.tui.widgets.chat_log, issue 17), in Textual's pilot.

What a reader sees is read from the rows the widget renders: the selection's
"> " marker while the log has the focus, the newest line always shown while
the reader is at the end, the place kept (and said in words) when they read
above, rows wrapped again after a resize. The bytes a line costs on a real
terminal are counted in tests/faces/test_app_slow_link.py.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input

from iop_tui.tui.widgets.chat_log import MARKER, ChatLog


class LogHost(App[None]):
    def compose(self) -> ComposeResult:
        yield ChatLog(id="chat-log")
        yield Input(id="box")


def rows(log: ChatLog) -> list[str]:
    return [log.render_line(y).text.rstrip() for y in range(log.size.height)]


def lines(n: int, start: int = 1) -> list[tuple[int | None, str]]:
    return [(i, f"Alex: line {i}") for i in range(start, start + n)]


async def test_new_lines_show_below_the_last_and_the_newest_stays_on_screen_as_they_pass_the_bottom() -> None:
    app = LogHost()
    async with app.run_test(size=(40, 11)) as pilot:
        log = app.query_one(ChatLog)
        app.query_one(Input).focus()
        height = log.size.height
        for i in range(1, 26):
            log.append_rows(lines(1, i))
            await pilot.pause()
            shown = rows(log)
            assert f"  Alex: line {i}" in shown, f"line {i} is not on screen: {shown}"
            assert shown.index(f"  Alex: line {i}") >= height // 2 - 1 or i < height, "the newest line sits low"
        assert log.highlighted == 24, "the newest line is selected while the reader is at the end"
        assert not any(r.startswith(MARKER) for r in rows(log)), "no marker while the log has no focus"


async def test_keys_move_the_selection_with_a_marker_and_a_reader_above_keeps_their_place() -> None:
    app = LogHost()
    async with app.run_test(size=(40, 11)) as pilot:
        log = app.query_one(ChatLog)
        log.append_rows(lines(30))
        log.focus()
        await pilot.pause()
        assert rows(log)[-1] == f"{MARKER}Alex: line 30", "the focus shows the newest line selected"
        await pilot.press("up", "up")
        assert log.highlighted == 27 and f"{MARKER}Alex: line 28" in rows(log)
        await pilot.press("home")
        assert rows(log)[0] == f"{MARKER}Alex: line 1"
        before = rows(log)
        log.append_rows(lines(3, 31))
        await pilot.pause()
        after = rows(log)
        assert after[:-1] == before[:-1], "new lines do not move a reader who is above"
        assert "below" in after[-1] and "End" in after[-1], "the last row says newer lines are below"
        assert log.highlighted == 0
        await pilot.press("end")
        assert rows(log)[-1] == f"{MARKER}Alex: line 33"
        await pilot.press("pageup")
        assert log.highlighted is not None and log.highlighted < 32
        await pilot.press("pagedown", "pagedown")
        assert log.highlighted == 32


async def test_a_rewritten_line_changes_in_place_and_a_resize_wraps_the_rows_again() -> None:
    app = LogHost()
    async with app.run_test(size=(40, 11)) as pilot:
        log = app.query_one(ChatLog)
        long = "Riley: " + "a long line that wraps " * 3

        class Line:
            def __init__(self, mid: int, text: str) -> None:
                self.message_id, self.text = mid, text

        app.query_one(Input).focus()
        state = [Line(1, "Sam: hello"), Line(2, long), Line(3, "Alex: hi")]
        log.show_lines(state, lambda line: line.text)
        await pilot.pause()
        assert rows(log)[0] == "  Sam: hello" and rows(log)[1].startswith("  Riley: a long")
        assert rows(log)[2].startswith("      "), "a wrapped row is indented under its line"
        state[0].text = "A message from Sam was deleted."
        log.show_lines(state, lambda line: line.text)
        await pilot.pause()
        assert rows(log)[0] == "  A message from Sam was deleted."
        assert [o.prompt for o in log.options][2].rows == ("Alex: hi",)
        await pilot.resize_terminal(80, 11)
        await pilot.pause()
        assert rows(log)[1].startswith("  Riley: a long") and rows(log)[3] == "  Alex: hi", "one wrap fewer at 80 columns"


async def test_lines_that_came_while_the_chat_was_hidden_are_shown_at_the_end_when_it_comes_back() -> None:
    app = LogHost()
    async with app.run_test(size=(40, 11)) as pilot:
        log = app.query_one(ChatLog)
        app.query_one(Input).focus()
        log.append_rows(lines(3))
        await pilot.pause()
        log.display = False  # another pane in front
        await pilot.pause()
        log.append_rows(lines(30, 4))
        await pilot.pause()
        log.display = True
        log.follow_to_end()
        await pilot.pause()
        shown = rows(log)
        assert shown[-1] == "  Alex: line 33" and shown[0] == f"  Alex: line {34 - len(shown)}", shown
