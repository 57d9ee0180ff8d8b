"""Where the terminal cursor rests: on what has the focus (Textual face).

Textual hides the terminal cursor and parks it at ``App.cursor_position``
after each repaint. A braille display or a screen reader's review cursor
follows it, so the app computes it at paint time from the focused widget
(:func:`cursor_offset`), which keeps it right even after a scroll.
"""

from __future__ import annotations

from textual.geometry import Offset
from textual.widget import Widget
from textual.widgets import Input, OptionList, RadioSet, TextArea

from iop_tui.tui.widgets.cursor_list import row_cursor_offset

__all__ = ["cursor_offset"]


def cursor_offset(focused: Widget | None) -> Offset | None:
    """The caret in a text field, the highlighted row of a list, the highlighted
    choice of a radio set, the first cell of anything else; None when nothing
    focused is on screen (the caller keeps Textual's own position)."""
    if focused is None:
        return None
    if isinstance(focused, (Input, TextArea)):
        return focused.cursor_screen_offset  # the caret, after any scroll
    if isinstance(focused, OptionList):
        offset = row_cursor_offset(focused)
        if offset is not None:
            return offset
    target: Widget = focused
    if isinstance(focused, RadioSet):
        buttons = list(focused.children)
        index = focused._selected  # the highlighted choice
        if index is not None and 0 <= index < len(buttons):
            target = buttons[index]
    region = target.content_region
    if region.width and region.height:
        return Offset(region.x, region.y)
    return None
