"""The quick-hide screen: one key, and nothing of the session is on the terminal.

A member cannot always know who else is in the room. F12 covers everything
with a neutral line that names neither the group nor the program's purpose;
while it shows, no notification is drawn. Enter or F12 brings the session back
exactly as it was (it kept running underneath).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

__all__ = ["HiddenScreen", "HIDDEN_TEXT"]

HIDDEN_TEXT = "Paused. Press Enter to continue."


class HiddenScreen(Screen[None]):
    """A blank screen with one neutral line; Enter or F12 returns."""

    BINDINGS = [Binding("enter,f12", "app.reveal", "Continue", show=False, priority=True)]

    def compose(self) -> ComposeResult:
        yield Static(HIDDEN_TEXT, id="hidden-line", markup=False)
