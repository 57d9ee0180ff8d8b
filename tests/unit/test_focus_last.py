"""The split that lets a console screen reader say a focus move's row (iop_tui.tui.focuslast)."""

from __future__ import annotations

from iop_tui.tui.focuslast import draws, focus_last, move_to, row_texts
from iop_tui.tui.squeeze import ScreenDiff


def test_a_frame_that_changes_rows_and_moves_the_cursor_to_another_row_is_written_rows_first_then_the_cursor_alone() -> None:
    frame = "\x1b[5;3H  Checked in: 1 of 2.\x1b[6;1H> Sam: mood 3\x1b[6;1H"
    first, second = focus_last(frame, (4, 0), (5, 0))
    assert first == frame + "\x1b[5;1H"  # the rows, the cursor put back where it rested
    assert second == "\x1b[6;1H" and not draws(second)  # then only the cursor, onto the focused row


def test_typing_on_the_same_row_or_a_cursor_only_move_is_written_as_it_is() -> None:
    typed = "\x1b[3;10Hx\x1b[3;11H"
    assert focus_last(typed, (2, 9), (2, 10)) == [typed]
    moved = "\x1b[7;1H"
    assert focus_last(moved, (4, 0), (6, 0)) == [moved]
    assert focus_last(typed, None, (2, 10)) == [typed]


def test_an_erase_is_a_change_and_styles_and_positions_are_not() -> None:
    assert draws("\x1b[4;1H\x1b[K")
    assert draws("\x1b[1mA\x1b[0m")
    assert not draws("\x1b[1m\x1b[0m\x1b[?25l\x1b[4;7H")


def test_the_split_agrees_with_what_the_screen_model_says_the_cursor_does() -> None:
    screen = ScreenDiff()
    screen.frame("\x1b[1;1H" + "\n".join(["  row"] * 5) + "\x1b[2;1H", 20, 5)
    before = screen.cursor
    out = screen.frame("\x1b[2;1H  row\x1b[3;1H> row\x1b[3;1H", 20, 5)
    after = screen.cursor
    assert (before, after) == ((1, 0), (2, 0))
    first, second = focus_last(out, before, after)
    assert first.endswith(move_to((1, 0))) and second == move_to((2, 0))


def test_a_frame_that_only_restyles_rows_is_written_whole_as_the_reader_sees_no_change() -> None:
    screen = ScreenDiff()
    screen.frame("\x1b[1;1HName: \x1b[2;1HMood: ", 20, 3)
    texts = row_texts(screen.cells)
    out = screen.frame("\x1b[1;1HName: \x1b[2;1H\x1b[7mMood: \x1b[0m\x1b[2;7H", 20, 3)  # Tab: the field restyled
    assert draws(out) and row_texts(screen.cells) == texts
    assert focus_last(out, (0, 6), (1, 6), text_changed=False) == [out]
