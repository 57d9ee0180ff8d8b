"""A small terminal model for reading what a full-screen client wrote, in order (tests only).

``CellScreen(80, 24)`` keeps the cells and the cursor of a Linux console as the
client's bytes are fed to it, and a log of what each sequence did: ``("draw",
row)`` when a cell changed, ``("cursor", row, col)`` when the cursor was placed.
Enough of the console for the client's own output (cursor positions, erase to
the end of a line or of the screen, styles, text, line ends); anything else is
skipped. It lets a test say what a console screen reader would see after each
write, without a screen reader.
"""

from __future__ import annotations

import re

__all__ = ["CellScreen"]

_TOKEN = re.compile(
    r"\x1b\[([0-9;?<=>!]*)([ -/]*)([@-~])"  # CSI: parameters, intermediates, final
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1b[^\[\]]?"  # any other escape
    r"|(\r\n|\r|\n)"
    r"|([^\x1b\r\n]+)"
)


class CellScreen:
    def __init__(self, columns: int = 80, rows: int = 24) -> None:
        self.columns, self.rows = columns, rows
        self.cells = [[" "] * columns for _ in range(rows)]
        self.row, self.col = 0, 0
        self.log: list[tuple[object, ...]] = []

    def text(self) -> list[str]:
        return ["".join(line) for line in self.cells]

    def cursor_line(self) -> str:
        return "".join(self.cells[self.row])

    def _draw(self, row: int, start: int, chars: str) -> None:
        line = self.cells[row]
        for i, ch in enumerate(chars):
            if 0 <= start + i < self.columns:
                line[start + i] = ch
        self.log.append(("draw", row))

    def feed(self, data: bytes | str) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        for match in _TOKEN.finditer(text):
            params, _inter, final, line_end, chars = match.groups()
            if chars is not None:
                chars = chars.replace("\x07", "")
                if 0 <= self.row < self.rows:
                    self._draw(self.row, self.col, chars)
                self.col = min(self.col + len(chars), self.columns - 1)
            elif line_end is not None:
                if "\r" in line_end:
                    self.col = 0
                if "\n" in line_end:
                    self.row = min(self.row + 1, self.rows - 1)
            elif final == "H" or final == "f":
                parts = (params or "").split(";")
                r = int(parts[0]) if parts and parts[0] else 1
                c = int(parts[1]) if len(parts) > 1 and parts[1] else 1
                self.row, self.col = max(0, min(r - 1, self.rows - 1)), max(0, min(c - 1, self.columns - 1))
                self.log.append(("cursor", self.row, self.col))
            elif final == "K" and params in ("", "0"):
                self._draw(self.row, self.col, " " * (self.columns - self.col))
            elif final == "J" and params == "2":
                for r in range(self.rows):
                    self._draw(r, 0, " " * self.columns)
            elif final in ("h", "l") and params in ("?1049", "?47", "?1047"):
                for r in range(self.rows):
                    self._draw(r, 0, " " * self.columns)
