"""Showing text in widgets: literally, only when it changed, and never as a forged row.

Text from the network is already clean when it gets here (the view model
runs :mod:`protocol.text` on every frame); a member's multi-line text keeps
its line breaks. :class:`Hanging` shows such text so that no row it makes
can pass for a row of its own: the first row starts at the left edge, and
every further row (a line break the member typed, or a wrap of a long line)
is indented under it.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import Static

__all__ = ["plain", "set_text", "set_rows", "hanging", "Hanging", "INDENT"]

#: Columns by which a continuation row is indented under its first row.
INDENT = 4


def plain(text: str) -> Content:
    """Text shown literally (never read as markup), one row per line."""
    return Content(text)


class Hanging(Visual):
    """Rows of text with a hanging indent.

    Each row of ``rows`` starts at the left edge; its line breaks and its
    wraps continue on rows indented by :data:`INDENT` columns, so a line
    break inside a member's text never starts a row of its own.
    """

    def __init__(self, rows: Sequence[str]) -> None:
        self.rows = tuple(rows)
        self._cache: tuple[int, Content] | None = None

    def __str__(self) -> str:
        return "\n".join(self.rows)

    def lines(self, width: int) -> list[str]:
        """The rows as shown at ``width`` cells: continuation rows indented."""
        indent = min(INDENT, max(0, width // 4))
        inner = max(1, width - indent)
        pad = " " * indent
        out: list[str] = []
        for row in self.rows:
            first = True
            for logical in row.split("\n"):
                wrapped = [c.plain.rstrip() for c in Content(logical).wrap(inner)] if logical.strip() else [""]
                for piece in wrapped:
                    out.append(piece if first else pad + piece)
                    first = False
        return out

    def _content(self, width: int) -> Content:
        if self._cache is None or self._cache[0] != width:
            self._cache = (width, Content("\n".join(self.lines(width))))
        return self._cache[1]

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return self._content(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return Content(str(self)).get_optimal_width(rules, container_width) + INDENT

    def get_minimal_width(self, rules: RulesMap) -> int:
        return Content(str(self)).get_minimal_width(rules) + INDENT

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self._content(width).get_height(rules, width)


def hanging(text: str) -> Hanging:
    """One row (a chat line, a roster line) with a hanging indent."""
    return Hanging([text])


def set_text(widget: Static, text: str) -> None:
    """Update a Static only when its text changes (no repaint otherwise).

    The text shown is kept in ``widget.shown_text`` (tests read it); a
    widget with no text is hidden so it takes no room.
    """
    if getattr(widget, "shown_text", None) != text:
        widget.shown_text = text  # type: ignore[attr-defined]
        widget.update(plain(text))
        widget.display = bool(text)  # an empty line takes no room


def set_rows(widget: Static, rows: Sequence[str]) -> None:
    """Like :func:`set_text` for rows that may hold a member's line breaks:
    each row starts at the left edge, its continuations are indented."""
    text = "\n".join(rows)
    if getattr(widget, "shown_text", None) != text:
        widget.shown_text = text  # type: ignore[attr-defined]
        widget.update(Hanging(rows))
        widget.display = bool(text)
