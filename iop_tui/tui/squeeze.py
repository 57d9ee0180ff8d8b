"""Fewer bytes for the same screen: only the cells a frame changes are written (issue 17).

Textual repaints whole regions: a widget that refreshes writes every row it
covers, each segment as "style, text, reset", every blank cell as a space,
even when the terminal already shows exactly that. On a 9,600 bit/s link a
row of 80 columns costs about 100 bytes. :class:`ScreenDiff` keeps what the
terminal shows (a character and a style per cell) and rewrites each frame to
change only the cells that differ:

- a cell that already shows the same character in the same look is skipped;
  a blank cell looks the same in any style in which nothing about a blank
  shows (no background colour, reverse video, underline, strike or blink);
- a changed run is written with one cursor position and one style per style
  change, not one reset per segment;
- blank cells that end a row at the right edge become one "erase to the end
  of the line" (``CSI K``).

Anything in a frame other than cursor positions, styles, text and line ends
is passed through in order; one that may change the screen in a way this
model does not follow (clearing, scrolling, the alternate screen) makes it
forget what the terminal shows, so the next frames are written in full. After
each frame the cursor is where the frame left it (a braille display and a
screen reader's review cursor follow it). Pure: no I/O, no Textual.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

__all__ = ["ScreenDiff", "EL", "blank_safe"]

#: Erase from the cursor to the end of the line (in the default background).
EL = "\x1b[K"
RESET = "\x1b[0m"
#: Fewest blank cells worth an erase (``CSI K`` is three bytes).
MIN_BLANKS = 4
#: Unchanged cells between two changes that are written again rather than skipped with a cursor move.
GAP = 6

_TOKEN = re.compile(
    r"\x1b\[(\d+);(\d+)H"  # a cursor position
    r"|\x1b\[([0-9;]*)m"  # a style
    r"|(\x1b\[\?[0-9;]*(?:h|l|\$p)|\x1b\[[<>=][0-9;]*u|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"  # modes, queries, OSC
    r"|(\x1b\[[0-9;:?<=>!]*[ -/]*[@-~]|\x1b[^\[\]]|\x1b$)"  # anything else
    r"|(\r\n|\r|\n)"
    r"|([^\x1b\r\n]+)"
)
#: Style parameters in which a blank cell looks exactly like an erased one.
_SAFE = frozenset({"", "0", "1", "2", "3", "22", "23", "39", "49", *map(str, range(30, 38)), *map(str, range(90, 98))})
#: Private modes that change what the screen shows: the alternate screen.
_SCREEN_MODES = ("1049", "47", "1047")

Cell = tuple[str, str]  # (character, style parameters); "" for the right half of a wide character
UNKNOWN: Cell = ("\x00", "?")  # never equal to anything written
BLANK: Cell = (" ", "")


def blank_safe(params: str) -> bool:
    """Whether a space in this style (after a reset) looks exactly like an erased cell."""
    parts = params.split(";") if params else []
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == "38" and i + 1 < len(parts):  # a foreground colour: nothing shows on a blank
            i += 3 if parts[i + 1] == "5" else 5
            continue
        if part not in _SAFE:
            return False
        i += 1
    return True


class ScreenDiff:
    """What the terminal shows, and each frame rewritten to change only what differs."""

    def __init__(self) -> None:
        self.width = 0
        self.height = 0
        self.cells: list[list[Cell]] = []
        self.cursor: tuple[int, int] | None = None  # where the terminal's cursor is, when known
        self._safe: dict[str, bool] = {}
        self._styles: dict[str, str] = {}

    def forget(self) -> None:
        """The terminal shows something this does not know: the next frames are written in full."""
        self.cells = [[UNKNOWN] * self.width for _ in range(self.height)]
        self.cursor = None

    def style_of(self, params: str) -> str:
        """A style's parameters without the defaults a reset already set (0, 39, 49): "" is the plain style."""
        style = self._styles.get(params)
        if style is None:
            parts, kept, i = params.split(";"), [], 0
            while i < len(parts):
                part = parts[i]
                if part in ("38", "48") and i + 1 < len(parts):  # an extended colour: kept whole
                    size = 3 if parts[i + 1] == "5" else 5
                    kept.extend(parts[i : i + size])
                    i += size
                    continue
                if part not in ("", "0", "39", "49"):
                    kept.append(part)
                i += 1
            style = self._styles[params] = ";".join(kept)
        return style

    def looks_blank(self, style: str) -> bool:
        """Whether a space written in ``style`` looks like an erased cell (cached :func:`blank_safe`)."""
        safe = self._safe.get(style)
        if safe is None:
            safe = self._safe[style] = blank_safe(style)
        return safe

    def _cell(self, char: str, style: str) -> Cell:
        return BLANK if char == " " and self.looks_blank(style) else (char, style)

    def frame(self, text: str, width: int, height: int) -> str:
        """``text`` (a frame for a ``width`` x ``height`` screen) as the bytes that change the screen."""
        if (width, height) != (self.width, self.height):
            self.width, self.height = width, height
            self.forget()
        if width <= 0 or height <= 0:
            return text
        writer = _Writer(self)
        row, col = self.cursor or (0, 0)  # where the frame's cursor is (0-based)
        style = ""
        for match in _TOKEN.finditer(text):
            pos_row, pos_col, params, harmless, other, line_end, chars = match.groups()
            if pos_row is not None:
                row, col = int(pos_row) - 1, int(pos_col) - 1
            elif params is not None:
                style = self.style_of(params)
            elif chars is not None:
                col = writer.put(row, col, chars, style)
            elif line_end is not None:
                if "\r" in line_end:
                    col = 0
                if "\n" in line_end:
                    row = min(row + 1, height - 1)  # at the bottom a line feed would scroll: none is written
            elif harmless is not None:
                writer.passthrough(harmless, row, col, moves=False)
                if any(harmless in (f"\x1b[?{mode}h", f"\x1b[?{mode}l") for mode in _SCREEN_MODES):
                    self.forget()
                    writer.at = None
            else:
                writer.passthrough(other, row, col, moves=True)
                self.forget()
        out = writer.finish(row, col)
        self.cursor = writer.at
        return out.replace(SYNC_BEGIN + SYNC_END, "")


SYNC_BEGIN, SYNC_END = "\x1b[?2026h", "\x1b[?2026l"  # a synchronised update: empty, it is dropped


class _Writer:
    """The bytes for one frame: changed runs, each placed and styled as little as needed."""

    def __init__(self, screen: ScreenDiff) -> None:
        self.screen = screen
        self.out: list[str] = []
        self.at: tuple[int, int] | None = screen.cursor  # the terminal's cursor, when known
        self.style = ""  # the terminal's style

    def _move(self, row: int, col: int) -> None:
        if self.at != (row, col):
            self.out.append(f"\x1b[{row + 1};{col + 1}H")
            self.at = (row, col)

    def _set_style(self, style: str) -> None:
        if style != self.style:
            if self.style:
                self.out.append(RESET)
            if style:
                self.out.append(f"\x1b[{style}m")
            self.style = style

    def put(self, row: int, col: int, chars: str, style: str) -> int:
        """The frame writes ``chars`` at (row, col): write what changes; the column after them."""
        screen = self.screen
        if not 0 <= row < screen.height:
            return col + cell_len(chars)
        line = screen.cells[row]
        width = screen.width
        new: list[tuple[int, Cell, int]] = []  # (column, cell, cells wide)
        for char in chars:
            size = cell_len(char)
            if size == 0:
                continue  # a combining mark: written with no cell of its own (not expected from Textual)
            if col + size > width:
                col = width  # past the edge (autowrap is off): nothing more shows on this row
                break
            new.append((col, screen._cell(char, style), size))
            col += size
        index = 0
        while index < len(new):
            start_col, cell, size = new[index]
            if line[start_col] == cell and (size == 1 or line[start_col + 1] == ("", cell[1])):
                index += 1
                continue
            end = index  # a run of changed cells, with unchanged gaps shorter than a cursor move
            gap = 0
            while end + gap < len(new):
                c, cl, sz = new[end + gap]
                if line[c] == cl and (sz == 1 or line[c + 1] == ("", cl[1])):
                    gap += 1
                    if gap > GAP:
                        break
                    continue
                end += gap + 1
                gap = 0
            self._write_run(row, new[index:end])
            index = end
        return col

    def _write_run(self, row: int, run: list[tuple[int, Cell, int]]) -> None:
        line = self.screen.cells[row]
        width = self.screen.width
        last_col, _, last_size = run[-1]
        if last_col + last_size == width:  # the run reaches the right edge: its blank end is one erase
            blanks = 0
            for _, cell, _ in reversed(run):
                if cell != BLANK:
                    break
                blanks += 1
            if blanks >= MIN_BLANKS:
                head = run[: len(run) - blanks]
                if head:
                    self._write_cells(row, head)
                first_blank = run[len(run) - blanks][0]
                self._move(row, first_blank)
                self._set_style("")
                self.out.append(EL)
                for c in range(first_blank, width):
                    line[c] = BLANK
                return
        self._write_cells(row, run)

    def _write_cells(self, row: int, run: list[tuple[int, Cell, int]]) -> None:
        line = self.screen.cells[row]
        first_col = run[0][0]
        if line[first_col][0] == "" and first_col > 0:  # the right half of a wide character is overwritten
            line[first_col - 1] = UNKNOWN
        self._move(row, first_col)
        for col, cell, size in run:
            char, style = cell
            if cell != BLANK or not self.screen.looks_blank(self.style):  # a blank shows the same in this style
                self._set_style(style)
            self.out.append(char)
            line[col] = cell
            if size == 2:
                line[col + 1] = ("", style)
            elif col + 1 < len(line) and line[col + 1][0] == "":
                line[col + 1] = UNKNOWN  # the left half of a wide character was overwritten
        last_col, _, last_size = run[-1]
        self.at = (row, last_col + last_size) if last_col + last_size < self.screen.width else None

    def passthrough(self, sequence: str, row: int, col: int, *, moves: bool) -> None:
        """A sequence the model does not draw, written in order. One that may move the cursor
        or depend on it (or shows the cursor) is written with the cursor where the frame had it."""
        self._set_style("")
        if (moves or sequence == "\x1b[?25h") and 0 <= row < self.screen.height and 0 <= col < self.screen.width:
            self._move(row, col)
        self.out.append(sequence)
        if moves:
            self.at = None

    def finish(self, row: int, col: int) -> str:
        self._set_style("")
        if 0 <= row < self.screen.height and 0 <= col < self.screen.width:
            self._move(row, col)
        return "".join(self.out)
