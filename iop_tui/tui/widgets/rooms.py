"""The chat pane's room bar (issue 13): where you are and your part, in words.

While breakout rooms are open the bar says which room the reader is in, with
whom and until when ("Room 2 of 2, with Sam, until 14:32"), or that they are
in the main room; during a role-play it says their part ("Playing the manager
in Asking for a raise", and whether typed lines go in character). A
facilitator also reads one line per room: who is in it, which facilitator
joined it, whether its summary is drafted (/rooms reads the drafts). Text only, never colour or
position; it changes only when the log does (no clock ticking), so a screen
reader is not made to read it again and again. Attributes down: the pane
calls :meth:`RoomBar.show_model`.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from iop_tui.core import words
from iop_tui.tui.widgets.text import set_text

__all__ = ["RoomBar", "room_bar_lines"]


def room_bar_lines(model: Any, in_role: bool) -> list[str]:
    """The bar's lines for this reader (empty with no rooms and no role-play)."""
    state, me_id = model.state, model.me_id
    lines = []
    where = words.room_status_text(state, me_id)
    if where:
        lines.append(f"You are in: {where}.")
    part = words.role_status_text(state, me_id)
    if part:
        mode = " Typing in character; Ctrl+O steps out." if in_role else " Ctrl+O speaks in character."
        lines.append(part + "." + (mode if part.startswith("Playing") else ""))
    if model.is_facilitator:
        lines.extend(words.room_list_lines(state, me_id))
    return lines


class RoomBar(Static):
    """Which room you are in and what your role is; every room for facilitators."""

    def show_model(self, model: Any, in_role: bool = False) -> None:
        set_text(self, "\n".join(room_bar_lines(model, in_role)))
