"""Where the terminal cursor rests: on what has the focus (Textual face).

Textual hides the terminal cursor and parks it at ``App.cursor_position``
after each repaint. A braille display or a screen reader's review cursor
follows it, so the app computes it at paint time from the focused widget
(:func:`cursor_offset`), which keeps it right even after a scroll.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.geometry import Offset
from textual.widget import Widget
from textual.widgets import Input, OptionList, RadioSet, TextArea

from iop_tui.tui.widgets.cursor_list import row_cursor_offset

__all__ = ["cursor_offset", "on_a_control"]


def cursor_offset(focused: Widget | None) -> Offset | None:
    """The caret in a text field, the highlighted row of a list, the highlighted
    choice of a radio set, the first cell of anything else; None when nothing
    focused is on screen (the caller keeps Textual's own position)."""
    if focused is None:
        return None
    if isinstance(focused, (Input, TextArea)):
        return focused.cursor_screen_offset  # the caret, after any scroll
    row_offset = getattr(focused, "cursor_row_offset", None)  # a Line API list (the chat log) says its own
    if callable(row_offset) and isinstance(offset := row_offset(), Offset):
        return offset
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


def on_a_control(focused: Widget | None) -> bool:
    """Whether the focus is on a control (a field, a list's row, a choice, a button) rather
    than on a pane read whole (a slide, a pane with nothing to choose): a focus move onto a
    control is said by its row alone (:mod:`iop_tui.tui.focuslast`), a pane is read whole."""
    return focused is not None and not isinstance(focused, VerticalScroll)  # a pane itself (Pane is one)
