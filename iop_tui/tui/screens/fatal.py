"""The screen shown when the session cannot go on (a wrong or revoked token, removal)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

__all__ = ["FatalScreen", "fatal_sentence"]


def fatal_sentence(session: Any) -> str:
    """Why ``session`` cannot go on, in one sentence; "" while it can."""
    fatal = getattr(session, "fatal_message", None)
    if fatal:
        return str(fatal)
    conn = getattr(session.model, "conn", None)
    if _get(conn, "state") == "failed":
        return str(_get(conn, "message") or "The server refused this client; ask your facilitator for a new invitation.")
    return ""


def _get(obj: Any, name: str) -> Any:
    """Read a field of the connection snapshot, whether a dict or an object."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


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
        # No footer: it listed the session's keys (F1-6 Panes, F9 Help now), none of which
        # works once the session is over; the line above says the one key that does.
