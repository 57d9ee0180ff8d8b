"""Fewer bytes for the same screen: a frame of Textual's output, written shorter (issue 17).

Textual writes every row it repaints in full: each segment as "style, text,
reset", and every blank cell as a space up to the right edge. On a 9,600 bit/s
link a blank row of 80 columns costs about 100 bytes. :func:`squeeze` rewrites
one frame so that the terminal shows exactly the same cells:

- adjacent segments with the same style are joined (one style and one reset
  instead of one pair each);
- the blank cells that end a row at the right edge of the screen become one
  "erase to the end of the line" (``CSI K``), when nothing about a blank
  cell would show (no background colour, reverse video, underline, strike or
  blink: such cells look exactly as erased ones do).

A part of the frame it does not understand (anything but cursor positions,
styles, text and line ends) is left as it is. Pure: no I/O, no Textual.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

__all__ = ["squeeze", "EL"]

#: Erase from the cursor to the end of the line (in the current, default, background).
EL = "\x1b[K"
RESET = "\x1b[0m"
#: Fewest trailing blanks worth replacing (``CSI K`` is three bytes).
MIN_BLANKS = 4

_POSITION = re.compile(r"\x1b\[(\d+);(\d+)H")
_TOKEN = re.compile(r"\x1b\[([0-9;]*)m|(\x1b[^\x1b]*)|(\r\n|\r|\n)|([^\x1b\r\n]+)")
#: Style parameters after which a space looks like an erased cell.
_SAFE = frozenset({"", "0", "1", "2", "3", "22", "23", "39", "49", *map(str, range(30, 38)), *map(str, range(90, 98))})


def _blank_safe(params: str) -> bool:
    """Whether a space in this style (after a reset) looks exactly like an erased cell."""
    parts = params.split(";") if params else []
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == "38" and i + 1 < len(parts):  # a foreground colour: invisible on a space
            i += 3 if parts[i + 1] == "5" else 5
            continue
        if part not in _SAFE:
            return False
        i += 1
    return True


def _row(chunk: str, column: int, width: int) -> str:
    """One positioned piece of a row (its text starts at ``column``, 1-based), written shorter."""
    segments: list[list[str]] = []  # [style params, text]
    style = ""  # the style in force ("" after a reset)
    tail = ""  # the line end after the text
    for match in _TOKEN.finditer(chunk):
        params, other, line_end, text = match.groups()
        if tail:
            return chunk  # text after a line end: not one row
        if params is not None:
            style = "" if params in ("", "0") else params
        elif other is not None:
            return chunk  # a sequence this does not read: leave the piece alone
        elif line_end is not None:
            tail += line_end
        elif text:
            if segments and segments[-1][0] == style:
                segments[-1][1] += text
            else:
                segments.append([style, text])
    cells = sum(cell_len(text) for _, text in segments)
    erase = False
    if segments and column + cells - 1 == width:
        blanks = 0
        for params, text in reversed(segments):
            if not _blank_safe(params):
                break
            stripped = text.rstrip(" ")
            blanks += len(text) - len(stripped)
            if stripped:
                break
        if blanks >= MIN_BLANKS:
            erase = True
            while blanks:
                params, text = segments[-1]
                cut = min(blanks, len(text) - len(text.rstrip(" ")))
                blanks -= cut
                if cut == len(text):
                    segments.pop()
                else:
                    segments[-1][1] = text[: len(text) - cut]
    out = [f"\x1b[{params}m{text}{RESET}" if params else text for params, text in segments]
    return "".join(out) + (EL if erase else "") + tail


def squeeze(frame: str, width: int) -> str:
    """``frame`` (Textual's output for a screen ``width`` columns wide) in fewer bytes, same cells."""
    if "\x1b[" not in frame or width <= 0:
        return frame
    out: list[str] = []
    last = 0
    column = 0
    for match in _POSITION.finditer(frame):
        piece = frame[last : match.start()]
        out.append(_row(piece, column, width) if column else piece)
        out.append(match.group(0))
        column = int(match.group(2))
        last = match.end()
    piece = frame[last:]
    out.append(_row(piece, column, width) if column else piece)
    return "".join(out)
