"""Lists whose highlighted row can carry the terminal cursor.

Textual hides the terminal cursor and parks it at ``App.cursor_position``
after each repaint. ``Input`` and ``TextArea`` set that position; option
lists do not. A braille display or a screen reader's review cursor follows
the terminal cursor, so without it a list's selection is invisible to them.
:func:`row_cursor_offset` finds the highlighted row on screen; the app reads
it at paint time. Checkbox rows say "[x]" or "[ ]", not only a colour, and
the highlighted row starts with "> " while the list has the focus (the others
with two spaces), so where the keys go shows without colour or bold
(``NO_COLOR``, a monochrome screen), and of a board's columns only the one in
focus is marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from textual import events
from textual.geometry import Offset
from textual.strip import Strip
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets import OptionList, SelectionList

__all__ = ["CursorOptionList", "CursorSelectionList", "row_cursor_offset"]


def row_cursor_offset(option_list: OptionList) -> Offset | None:
    """Screen offset of the highlighted row's first cell, or None if not shown."""
    index = option_list.highlighted
    if index is None or not option_list.is_mounted:
        return None
    try:
        line = option_list._index_to_line[index]
    except KeyError:
        return None
    region = option_list.content_region
    _, scroll_y = option_list.scroll_offset
    y = region.y + line - int(scroll_y)
    if not region.y <= y < region.y + region.height:
        return None
    return Offset(region.x, y)


#: The first cells of the highlighted row's first line; other rows get spaces.
MARKER = "> "


if TYPE_CHECKING:
    _List = OptionList  # mixed into an OptionList (or a SelectionList, one of them)
else:
    _List = object  # at run time a plain mixin: Textual's styles follow a widget's first widget base


class _RowCursor(_List):
    """Mixin for OptionList subclasses: a focused list always has a highlighted row.

    The app's ``cursor_position`` (see :class:`iop_tui.tui.app.IopApp`) puts the
    terminal cursor on that row at every repaint. Every row has a gutter of
    two cells at its left; the highlighted row's first line shows ``MARKER``.
    """

    def _get_left_gutter_width(self) -> int:
        return int(super()._get_left_gutter_width()) + len(MARKER)

    def _marked(self, strip: Strip, y: int) -> Strip:
        """``strip`` with the marker gutter in front of it."""
        mark = " " * len(MARKER)
        style = self.get_visual_style("option-list--option").rich_style
        try:
            index, line_offset = self._lines[int(self.scroll_offset.y) + y]
        except IndexError:
            index, line_offset = None, None
        if index is not None and index == self.highlighted:
            style = self.get_visual_style("option-list--option", "option-list--option-highlighted").rich_style
            if line_offset == 0 and self.has_focus:
                mark = MARKER  # where the keys go: only the list in focus (a board's other columns keep two spaces)
        width = self.scrollable_content_region.width
        return Strip([Segment(mark, style), *strip], strip.cell_length + len(mark)).crop(0, width)

    def _on_focus(self, event: events.Focus) -> None:
        # Textual also runs the base classes' _on_focus (handlers follow the MRO).
        if self.highlighted is None and self.option_count:
            self.highlighted = 0
        # The marker comes and goes with the focus: Widget's own _on_focus and _on_blur repaint.

    def add_options(self, *args: Any, **kwargs: Any) -> Any:  # a SelectionList's take selections: passed on as they are
        # A list focused while still empty (a pane key moves the focus at once) highlights its first row when rows arrive.
        result = super().add_options(*args, **kwargs)
        if self.has_focus and self.highlighted is None and self.option_count:
            self.highlighted = 0
        return result


class CursorOptionList(_RowCursor, OptionList):
    """An OptionList whose highlighted row carries the terminal cursor and a "> " marker."""

    def render_line(self, y: int) -> Strip:
        return self._marked(super().render_line(y), y)


class CursorSelectionList(_RowCursor, SelectionList[Any]):
    """A SelectionList whose rows say "[x]" or "[ ]" and whose highlight carries the cursor and a "> " marker."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 3 or segments[1].text != ToggleButton.BUTTON_INNER:
            return self._marked(strip, y)
        _, scroll_y = self.scroll_offset
        try:
            value = self.get_option_at_index(int(scroll_y) + y).value
        except OptionDoesNotExist:
            return strip
        ticked = value in self._selected
        marks = ("[", "x" if ticked else " ", "]")
        for i, mark in enumerate(marks):
            segments[i] = Segment(mark, segments[i].style, segments[i].control)
        return self._marked(Strip(segments, strip.cell_length), y)
