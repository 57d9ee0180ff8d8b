"""A focus move's row is written last and alone, so a console screen reader says it (issue 12).

What Fenrir 1.9 (the console screen reader of ``bench/tui_speech.py``) does
after each read of a program's output, from its source
(``fenrirscreenreader/commands``):

- ``onScreenUpdate/70000-incoming``: if rows changed, the changed rows are read,
  *queued* behind whatever it is still saying (``interrupt=False``);
- ``onCursorChange/55000-present_line_if_cursor_change_vertical``: only if *no*
  row changed and the cursor went to another row, the cursor's row is read *at
  once*, cutting what was queued (``interrupt=True``);
- a key press does not cut speech (``interruptOnKeyPress=False`` in its pty
  settings).

A Down in a list changes two rows (the "> " marker moves), a pane key draws a
whole pane: either frame is a change of rows, so the focused row was read only
after the backlog (the check-in round's rows arriving, a pane read whole) and
often after the next key. So a frame drawn for a key that changes cells *and*
moves the cursor to another row is written in two (:func:`focus_last`): the
frame with the cursor put back where it was, then, after a pause long enough
for the reader to look between them, the cursor alone onto the focused row. The
reader then says the focused row first; what changed is still on the screen,
and rows drawn after the move are read after it. Nothing is held back but the
cursor, for :data:`PAUSE` seconds. Pure: no I/O, no Textual.
"""

from __future__ import annotations

import re

__all__ = ["PAUSE", "KEY_WINDOW", "draws", "focus_last", "move_to", "row_texts"]

#: Seconds between the rows and the cursor's move (and after the move, before the next frame):
#: longer than a screen reader takes to read what is waiting (Fenrir reads until 1 ms of quiet).
PAUSE = 0.06
#: A frame this soon after a key is the key's (the focus it moved); later ones are the app's own.
#: A pane key's pane is laid out over several frames, the last (a scroll to the focus) about
#: 0.8 s after the key on a loaded machine: the window covers them.
KEY_WINDOW = 1.5

#: Escape sequences that draw no cell: cursor positions, styles, modes, OSC.
_SILENT = re.compile(r"\x1b\[[0-9;?<=>!]*[ -/]*[@-JL-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[^\[\]]")


def draws(out: str) -> bool:
    """Whether these bytes change a cell: any character, or an erase (``CSI K``)."""
    if "\x1b[K" in out or "\x1b[0K" in out:
        return True
    return bool(_SILENT.sub("", out).strip("\r\n"))


def row_texts(cells: list[list[tuple[str, str]]]) -> list[str]:
    """The characters of each row of a screen model (:class:`iop_tui.tui.squeeze.ScreenDiff`'s
    cells), without their styles: what a screen reader compares to find changed rows."""
    return ["".join(cell[0] for cell in row) for row in cells]


def move_to(at: tuple[int, int]) -> str:
    """The cursor position sequence for a 0-based (row, column)."""
    return f"\x1b[{at[0] + 1};{at[1] + 1}H"


def focus_last(
    out: str, before: tuple[int, int] | None, after: tuple[int, int] | None, *, text_changed: bool = True
) -> list[str]:
    """A frame's bytes ``out`` as the writes a screen reader hears the focus in.

    ``before`` is where the cursor rested before the frame, ``after`` where the
    frame leaves it. When the frame changes cells and the cursor changes row,
    two writes: the frame with the cursor put back at ``before``, then the cursor
    alone to ``after``; otherwise the frame as it is, one write. ``text_changed`` False (only
    styles changed, as when Tab restyles a field) needs no split: the reader sees no change.
    """
    if not text_changed or before is None or after is None or before[0] == after[0] or not draws(out):
        return [out]
    return [out + move_to(before), move_to(after)]
