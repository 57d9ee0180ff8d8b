"""Check-in moods over sessions: the figures in words, a small text chart beside them (G).

The words come first and say every figure ("Your mood: 3, 4, 6, 5 over four
sessions."), so a screen reader reads numbers, never blocks; the chart
(:func:`iop_tui.core.chart.mood_chart`) is decoration. A member sees their
own; a facilitator sees each member's (they already see every check-in).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from iop_tui.core import words
from iop_tui.core.chart import mood_chart
from iop_tui.tui.screens.viewkeys import PANE_KEY_BINDINGS, PaneKeysClose

__all__ = ["MoodScreen"]


class MoodScreen(PaneKeysClose, ModalScreen[None]):
    BINDINGS = [*PANE_KEY_BINDINGS, Binding("escape,q,g", "close", "Close")]  # a pane key closes it (viewkeys)

    DEFAULT_CSS = """
    MoodScreen { align: center middle; }
    #moods-box { width: 78; height: auto; max-height: 20; border: round $accent; padding: 0 1; background: $surface; }
    #moods-box VerticalScroll { height: auto; }
    .mood { height: auto; }
    .mood-words { width: 1fr; }
    .mood-chart { width: 14; }
    """

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.rows = words.mood_rows(model.state, model.me_id)
        self.none = words.mood_lines(model.state, model.me_id)[0] if not self.rows else ""

    def compose(self) -> ComposeResult:
        with Vertical(id="moods-box"):
            yield Static("Check-in moods, 0 to 10, oldest first; a dot is a session passed. Escape closes.", markup=False)
            with VerticalScroll():
                if not self.rows:
                    yield Static(self.none, id="moods-none", markup=False)
                for text, values in self.rows:
                    with Horizontal(classes="mood"):
                        yield Static(text, classes="mood-words", markup=False)
                        yield Static(mood_chart(values, 12), classes="mood-chart", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
