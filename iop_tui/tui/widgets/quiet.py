"""Nothing on screen that a console screen reader would read as noise (Textual face).

A console screen reader (Fenrir, speakup) reads the cells of the screen, not
the widgets: every row whose text changes is read whole, and the row the
terminal cursor moves to is read when nothing else changed. So what is drawn
is what is heard:

- :class:`QuietScrollBarRender` draws a scrollbar with spaces only (its thumb
  is a background colour): Textual's partial blocks ("▇", "▂") at the thumb's
  ends sat at the end of a pane's rows and were read with them;
- :class:`QuietTabPane` draws nothing while its body is not mounted yet:
  Textual draws an empty container's CSS name ("TabPane#checkin"), which was
  read on the first screen;
- :func:`tab_marked` puts ">" before the pane in front in the tab row, so the
  active tab shows without colour (the high-contrast theme showed it by colour
  only); a screen reader leaves ">" silent at its default punctuation level.

:func:`use_quiet_scrollbars` installs the scrollbar for every widget of the
process (Textual reads ``ScrollBar.renderer`` at each paint).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import RenderResult
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widgets import TabPane

__all__ = ["QuietScrollBarRender", "QuietTabPane", "use_quiet_scrollbars", "tab_marked", "ACTIVE_TAB", "BLOCK_GLYPHS"]

#: Put before the active tab's label.
ACTIVE_TAB = ">"

#: Block elements and box-drawing heavy bars a screen reader reads aloud as glyphs (U+2580-U+259F).
BLOCK_GLYPHS = frozenset(chr(c) for c in range(0x2580, 0x25A0))


class QuietScrollBarRender(ScrollBarRender):
    """A scrollbar of spaces: its thumb is shown by colour (it carries no meaning a word must say)."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def use_quiet_scrollbars() -> None:
    """Draw every scrollbar of the app with :class:`QuietScrollBarRender`."""
    ScrollBar.renderer = QuietScrollBarRender


class QuietTabPane(TabPane):
    """A tab's pane that draws blank until its body is mounted (never its CSS name)."""

    def render(self) -> RenderResult:
        return ""


def tab_marked(label: str, active: bool, narrow: bool = False) -> str:
    """The tab's label with :data:`ACTIVE_TAB` before it when it is the pane in front (">3 Polls");
    ``narrow`` (every column of the tab row taken), in place of the space after its number ("3>Poll")."""
    if not active:
        return label
    return label.replace(" ", ACTIVE_TAB, 1) if narrow else f"{ACTIVE_TAB}{label}"
