"""The chat pane's room bar (issue 13): where you are and your part, in words.

While breakout rooms are open the bar says which room the reader is in, with
whom and until when ("Room 2 of 2, with Sam, until 14:32") and the round's prompt, or that they are
in the main room; during a role-play it says their part ("Playing the manager
in Asking for a raise", and whether typed lines go in character) with their cue
card; while a
go-around runs, its question and whose turn it is (the status line moves on). A
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

__all__ = ["RoomBar"]


class RoomBar(Static):
    """Which room you are in and what your role is; every room for facilitators."""

    def show_model(self, model: Any, in_role: bool = False) -> None:
        lines = words.room_bar_lines(model, in_role)
        prompt = words.room_prompt_line(model.state, model.me_id)  # qam: the room's prompt stays in view
        if prompt:
            lines = [*lines[:1], prompt, *lines[1:]]
        if not model.is_facilitator:
            lines = [*lines, *words.cue_bar_lines(model.state, model.me_id)]  # qam: the cue card stays in view
        turn = words.goround_bar_line(model.state, model.me_id)  # qam: a go-around's turn outlasts the status line
        set_text(self, "\n".join([*lines, turn] if turn else lines))
