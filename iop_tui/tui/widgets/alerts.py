"""The facilitators' alert banner: an urgent request or alert stays on screen until acknowledged.

It sits under the header, in words (never colour alone): who asks, their
words, the alert's number and the key that acknowledges it. It is shown only
to facilitators and only while an alert waits; each new alert rings the
terminal bell once (a facilitator joining while one waits hears it too): the
banner says it is new, and the session screen rings the bell.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from iop_tui.core import words
from iop_tui.tui.widgets.text import set_text

__all__ = ["AlertBanner", "ACK_KEY"]

#: The key that acknowledges the oldest waiting alert (the app's binding uses it too).
ACK_KEY = "F9"


class AlertBanner(Static):
    """Hidden until an alert waits; then its words and how to acknowledge it."""

    DEFAULT_CSS = """
    AlertBanner {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $error;
        color: $text;
        text-style: bold;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self._rung: set[int] = set()
        self.shown_text = ""
        self.display = False

    def show_model(self, model: Any) -> bool:
        """Show what waits; True when an alert is new to this banner (the screen rings the bell)."""
        me = model.me
        waiting = model.state.unacknowledged() if me is not None and me.role == "facilitator" else []
        set_text(self, f"{words.waiting_summary(waiting, model.state)} Press {ACK_KEY} to acknowledge." if waiting else "")
        fresh = {a.alert_id for a in waiting} - self._rung
        self._rung |= fresh
        return bool(fresh)
