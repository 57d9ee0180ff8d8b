"""A squeezed frame shows the same cells in fewer bytes (iop_tui.tui.squeeze, issue 17).

A small terminal model (cursor positions, styles, text, line ends, erase to
the end of the line) paints a frame before and after; every cell must match,
a blank cell counting as erased only when nothing about it shows.
"""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from iop_tui.tui.squeeze import EL, _blank_safe, squeeze

WIDTH, HEIGHT = 20, 4


def paint(frame: str, width: int = WIDTH, height: int = HEIGHT) -> list[list[tuple[str, str]]]:
    """The cells (character, style) a terminal shows after ``frame``; autowrap off, as Textual sets it."""
    grid = [[(".", "old")] * width for _ in range(height)]  # what was there before the frame
    row = col = 0
    style = ""
    for match in re.finditer(r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|\x1b\[K|(\r\n)|([^\x1b\r\n])", frame):
        pos_row, pos_col, params, crlf, char = match.groups()
        if pos_row:
            row, col = int(pos_row) - 1, int(pos_col) - 1
        elif params is not None:
            style = "" if params in ("", "0") else params
        elif match.group(0) == EL:
            for c in range(col, width):
                grid[row][c] = (" ", "")
        elif crlf:
            row, col = row + 1, 0
        elif char and col < width:
            grid[row][col] = (" ", "") if char == " " and _blank_safe(style) else (char, style)
            col += cell_len(char)  # a wide character takes two cells
    return grid


def row(y: int, *segments: tuple[str, str], x: int = 1) -> str:
    return f"\x1b[{y};{x}H" + "".join(f"\x1b[{style}m{text}\x1b[0m" if style else text for style, text in segments) + "\r\n"


CASES = {
    "a blank row": row(1, ("49", " " * WIDTH)),
    "text then blanks in two styles": row(2, ("39;49", "  Alex: hi"), ("39;49", " " * 6), ("49", "    ")),
    "blanks under reverse video stay": row(1, ("7", "hi" + " " * 18)),
    "a background colour stays": row(3, ("48;5;236", " " * WIDTH)),
    "underlined blanks stay": row(1, ("4", " " * WIDTH)),
    "a row not reaching the edge": row(1, ("49", " " * 10)),
    "a piece starting mid-row": row(2, ("1;39;49", "bold"), ("49", " " * 12), x=5),
    "a wide character": row(1, ("39", "日本"), ("49", " " * 16)),
    "coloured text with blanks": row(4, ("1;30;47", "1 Check-in"), ("49", " " * 10)),
    "several rows and a cursor park": row(1, ("49", " " * WIDTH)) + row(2, ("39;49", "x" * WIDTH)) + "\x1b[2;1H",
    "an unknown sequence is left alone": "\x1b[1;1H\x1b]8;;http://x\x07link\x1b]8;;\x07" + " " * 16,
}


@pytest.mark.parametrize("name", CASES)
def test_a_squeezed_frame_shows_every_cell_as_the_frame_did(name: str) -> None:
    frame = CASES[name]
    assert paint(squeeze(frame, WIDTH)) == paint(frame)
    assert len(squeeze(frame, WIDTH)) <= len(frame)


def test_a_blank_row_at_the_edge_becomes_one_erase_and_same_styles_are_joined() -> None:
    assert squeeze(row(1, ("49", " " * WIDTH)), WIDTH) == "\x1b[1;1H" + EL + "\r\n"
    joined = squeeze(row(2, ("39;49", "ab"), ("39;49", "cd"), ("49", " " * 16)), WIDTH)
    assert joined == "\x1b[2;1H\x1b[39;49mabcd\x1b[0m" + EL + "\r\n"


def test_blanks_that_show_are_written_out() -> None:
    for style in ("7", "4", "48;5;236", "41", "1;30;47", "9", "5"):
        frame = row(1, (style, " " * WIDTH))
        assert EL not in squeeze(frame, WIDTH), style


def test_a_frame_for_another_width_is_not_erased_past_its_edge() -> None:
    frame = row(1, ("49", " " * WIDTH))
    assert EL not in squeeze(frame, WIDTH + 5)


def test_text_without_positions_passes_unchanged() -> None:
    assert squeeze("\x1b[?1049h\x1b[?25l", WIDTH) == "\x1b[?1049h\x1b[?25l"
    assert squeeze("plain", WIDTH) == "plain"
