"""Ending a session (F8): a summary, what would end unseen, and one confirmation.

The dialog says what ending does ("End Week 3 for everyone"), warns when polls
are still open or closed without their results shown ("1 quiz is still
open"), and offers to reveal them with the ending (ticked by default, so a
quiz never ends unseen). Enter in the summary field ends the session; an
empty summary is asked for once ("press Enter again to end without one").
Escape keeps the session running. The same sentences as the plain face's
``/end`` come from :mod:`iop_tui.core.words`.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Static

from iop_tui.core import words
from iop_tui.tui.widgets.pane import quiet_input

__all__ = ["EndSessionScreen", "EndChoice"]

#: What the dialog returns: the summary and whether to reveal unseen polls.
EndChoice = dict


class EndSessionScreen(ModalScreen["dict[str, Any] | None"]):
    """Returns ``{"summary": str, "reveal": bool}``, or None when the session keeps running."""

    BINDINGS = [Binding("escape", "cancel", "Keep the session running")]

    def __init__(self, state: Any) -> None:
        super().__init__()
        title = state.session.title if state.session is not None and state.session.title else "the session"
        self.question = f"End {title} for everyone?"
        self.warning = words.end_warning(state)
        self._asked_empty = False

    def compose(self) -> ComposeResult:
        with Vertical(id="end-box"):
            yield Static(self.question, id="end-question", markup=False)
            yield Static("Summary for the group, one line:", markup=False)
            yield quiet_input(id="end-summary", hint="for example: We practised noticing thoughts.", max_length=2000)
            if self.warning is not None:
                yield Static(f"Warning: {self.warning}.", id="end-warning", markup=False)
                yield Checkbox("Reveal their results to the group as the session ends", True, id="end-reveal", compact=True)
            yield Static("Enter ends the session for everyone; Escape keeps it running.", id="end-help", markup=False)

    def on_mount(self) -> None:
        self.query_one("#end-summary", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        summary = event.value.strip()
        if not summary and not self._asked_empty:
            self._asked_empty = True
            self.query_one("#end-help", Static).update("Type a summary, or press Enter again to end without one.")
            return
        reveal = self.warning is not None and self.query_one("#end-reveal", Checkbox).value
        self.dismiss({"summary": summary, "reveal": reveal})

    def action_cancel(self) -> None:
        self.dismiss(None)
