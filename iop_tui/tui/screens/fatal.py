"""The screen shown when the session cannot go on (a wrong or revoked token, removal)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

__all__ = ["FatalScreen"]


class FatalScreen(Screen[None]):
    """One sentence saying what happened and what to do; Q quits."""

    BINDINGS = [Binding("q,escape,enter", "app.quit", "Quit")]

    def __init__(self, sentence: str) -> None:
        super().__init__()
        self.sentence = sentence

    def compose(self) -> ComposeResult:
        with Vertical(id="fatal-box"):
            yield Static(self.sentence, id="fatal-sentence", markup=False)
            yield Static("Press Q to quit.", markup=False)
        yield Footer()
