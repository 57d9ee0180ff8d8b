"""Only the cells a frame changes are written, and the screen ends the same (iop_tui.tui.squeeze, issue 17).

A small terminal model (cursor positions, styles, text, line ends, erase to
the end of the line; autowrap off, as Textual sets it) is given Textual-shaped
frames on one side and :class:`ScreenDiff`'s rewrite on the other: every cell
and the cursor must match after each frame, a blank cell counting as erased
only when nothing about it shows.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

from iop_tui.tui.squeeze import EL, ScreenDiff, blank_safe

WIDTH, HEIGHT = 20, 4


class Term:
    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.width, self.height = width, height
        self.grid = [[(".", "old")] * width for _ in range(height)]  # what was there before
        self.row = self.col = 0
        self.style = ""

    def feed(self, data: str) -> Term:
        for match in re.finditer(r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|\x1b\[K|\x1b\[2J|\x1b\[\?[0-9;]*[hl]|(\r\n)|([^\x1b\r\n])", data):
            pos_row, pos_col, params, crlf, char = match.groups()
            if pos_row:
                self.row, self.col = int(pos_row) - 1, int(pos_col) - 1
            elif params is not None:  # after a reset, 39 and 49 (default colours) change nothing
                self.style = ";".join(p for p in params.split(";") if p not in ("", "0", "39", "49")) if "8;" not in params else params
            elif match.group(0) == "\x1b[2J":
                self.grid = [[(" ", "")] * self.width for _ in range(self.height)]
            elif match.group(0) == EL:
                for c in range(self.col, self.width):
                    self.grid[self.row][c] = (" ", "")
            elif crlf:
                self.row, self.col = min(self.row + 1, self.height - 1), 0
            elif char and self.col + cell_len(char) <= self.width:  # a wide character that does not fit is not shown
                line, col, size = self.grid[self.row], self.col, cell_len(char)
                for c in range(col, col + size):  # overwriting half of a wide character blanks its other half
                    if line[c][0] == "" and c > 0:
                        line[c - 1] = (" ", "")
                    if c + 1 < self.width and line[c + 1][0] == "":
                        line[c + 1] = (" ", "")
                line[col] = (" ", "") if char == " " and blank_safe(self.style) else (char, self.style)
                if size == 2:
                    line[col + 1] = ("", self.style)
                self.col += size
            elif char:
                self.col = self.width  # past the edge (autowrap off): nothing more shows on this row
        return self

    def seen(self) -> tuple[list[list[tuple[str, str]]], tuple[int, int]]:
        return self.grid, (self.row, self.col)


def row(y: int, *segments: tuple[str, str], x: int = 1) -> str:
    return f"\x1b[{y};{x}H" + "".join(f"\x1b[{style}m{text}\x1b[0m" if style else text for style, text in segments) + "\r\n"


def full(*texts: str, park: tuple[int, int] = (2, 1)) -> str:
    """A whole screen as Textual writes it: every row, then the cursor parked."""
    rows = [row(y + 1, ("39;49", text.ljust(WIDTH))) for y, text in enumerate(texts)]
    rows += [row(y + 1, ("49", " " * WIDTH)) for y in range(len(texts), HEIGHT)]
    return "\x1b[?2026h" + "".join(rows) + f"\x1b[{park[0]};{park[1]}H" + "\x1b[?2026l"


def same_after_each(frames: list[str]) -> list[str]:
    """Feed both terminals; check they match after every frame; the bytes the diff wrote."""
    plain, squeezed, diff = Term(), Term(), ScreenDiff()
    written = []
    for frame in frames:
        out = diff.frame(frame, WIDTH, HEIGHT)
        written.append(out)
        plain.feed(frame)
        squeezed.feed(out)
        assert squeezed.seen() == plain.seen(), f"after {frame!r} the diff wrote {out!r}"
    return written


def test_the_same_frame_again_writes_nothing() -> None:
    first, again = same_after_each([full("Tuesday IOP", "1 Check-in"), full("Tuesday IOP", "1 Check-in")])
    assert again == ""
    assert len(first) < len(full("Tuesday IOP", "1 Check-in")) * 0.6, "blank ends are one erase each"


def test_a_new_line_writes_its_own_cells_and_nothing_else() -> None:
    _, second = same_after_each([full("Alex: hi"), full("Alex: hi", "Sam: hello")])
    # the cursor was parked at the start of row 2: no move before the text, one back after it
    assert second == "\x1b[?2026hSam: hello\x1b[?2026l\x1b[2;1H", "default colours need no style"


def test_a_region_repainted_in_other_styles_that_look_the_same_writes_nothing() -> None:
    frames = [row(1, ("39;49", "hi"), ("49", " " * 18)), row(1, ("39;49", "hi"), ("39;49", " " * 10), ("1;49", " " * 8))]
    assert same_after_each(frames)[1] == ""


def test_blanks_that_show_are_written_and_never_erased() -> None:
    for style in ("7", "4", "48;5;236", "41", "1;30;47", "9", "5"):
        out = same_after_each([row(1, ("49", " " * WIDTH)), row(1, (style, " " * WIDTH))])[1]
        assert EL not in out and " " * WIDTH in out, style


def test_changes_in_the_middle_of_a_row_reaching_the_edge_and_wide_characters_match() -> None:
    same_after_each(
        [
            full("0123456789abcdefghij", "row two", "row three"),
            row(1, ("39;49", "0123X56789abcdefghij")) + row(2, ("39;49", "row"), ("49", " " * 17)),
            row(3, ("39", "日本"), ("49", " " * 16)) + row(1, ("1;30;47", "1 Check-in"), ("49", " " * 10)),
            row(3, ("39", "a日b"), ("49", " " * 16)),
            row(2, ("1;39;49", "bold"), ("49", " " * 12), x=5),
        ]
    )


def test_a_sequence_it_does_not_follow_makes_the_next_frame_whole() -> None:
    frame = full("Alex: hi")
    out = same_after_each([frame, "\x1b[2J", frame])
    assert "Alex: hi" in out[2], "after a clear the screen is written again"
    diff = ScreenDiff()
    diff.frame(frame, WIDTH, HEIGHT)
    assert "Alex: hi" in diff.frame(frame, WIDTH + 1, HEIGHT), "a new size starts again"
    diff.forget()
    assert "Alex: hi" in diff.frame(frame, WIDTH + 1, HEIGHT), "forgotten (a hide covered it): written again"


def test_the_cursor_ends_where_the_frame_left_it() -> None:
    out = same_after_each([full("a", park=(3, 4)), full("a", park=(1, 2))])
    assert out[1] == "\x1b[1;2H"


def test_random_frames_leave_both_terminals_showing_the_same() -> None:
    import random

    rng = random.Random(17)
    styles = ["", "39;49", "49", "1;39;49", "7", "1;30;47", "2;39;49", "48;5;236", "4", "36;49"]
    alphabet = "ab  c日 ─é"
    frames = []
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 5)):
            y, x = rng.randint(1, HEIGHT), rng.randint(1, WIDTH)
            segments = [(rng.choice(styles), "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))) for _ in range(rng.randint(1, 4))]
            parts.append(row(y, *segments, x=x))
        frames.append("".join(parts) + f"\x1b[{rng.randint(1, HEIGHT)};{rng.randint(1, WIDTH)}H")
    same_after_each(frames)
