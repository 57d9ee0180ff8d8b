"""Questionnaire scores over time: each member's trend in words.

The words say everything ("Sam: PHQ-9 14, 11, 9: moderate to mild"), one
row each, and nothing else is drawn on the row: a chart of block glyphs
beside them was read aloud by a screen reader as glyph names. A
facilitator sees every member who has finished one; a member sees their own.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from protocol.measures import MEASURES

from iop_tui.core import words
from iop_tui.core.safety import measures_taken, scores

__all__ = ["ScoresScreen", "trend_rows"]


def trend_rows(model: Any) -> list[tuple[str, list[int]]]:
    """(the words, the totals) per member and measure: every member for a
    facilitator, oneself for a member."""
    state, me = model.state, model.me
    if me is None:
        return []
    people = sorted(state.roster.values(), key=lambda e: e.name.lower()) if me.role == "facilitator" else [state.roster.get(me.member_id)]
    rows = []
    for entry in people:
        if entry is None:
            continue
        for key in measures_taken(state, entry.member_id):
            totals = scores(state, entry.member_id, key)
            trend = words.trend_text(MEASURES[key].title, totals)
            rows.append((trend if entry.member_id == me.member_id else f"{entry.name}: {trend}", [t for t, _ in totals]))
    return rows


class ScoresScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close")]

    DEFAULT_CSS = """
    ScoresScreen { align: center middle; }
    #scores-box { width: 78; max-height: 20; border: round $accent; padding: 0 1; background: $surface; }
    .trend { width: 1fr; }
    """

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.rows = trend_rows(model)

    def compose(self) -> ComposeResult:
        with Vertical(id="scores-box"):
            yield Static("Questionnaire scores, oldest first. Escape closes.", markup=False)
            with VerticalScroll():
                if not self.rows:
                    yield Static(words.NO_SCORES, id="scores-none", markup=False)
                for text, _totals in self.rows:
                    yield Static(text, classes="trend", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
