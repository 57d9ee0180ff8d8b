"""The header line and the status line: the session's state in words.

The header says the group, the session, the phase with its elapsed whole
minutes, and the connection ("connected", "reconnecting in 3 s", "offline —
2 messages waiting"). It changes only when something happens (an event, a
connection change, a key press) — never on a per-second clock — so an idle
app writes nothing and a screen reader is not read a ticking timer.
"""

from __future__ import annotations

from textual.timer import Timer
from textual.widgets import Static

from iop_tui.tui.widgets.text import plain, set_text

__all__ = ["HeaderLine", "StatusLine"]


class HeaderLine(Static):
    """One line: group · session · phase (N min) · connection."""

    def show(self, text: str) -> None:
        set_text(self, text)


class StatusLine(Static):
    """The latest sentence for this person: a notice, a refusal, a hint.

    Its two rows are always there (``app.tcss``), whatever the sentence's
    length: a line that grew or shrank would move every pane above it, and a
    moved pane is repainted whole, several kilobytes on a slow link for one
    chat line. Only a changed sentence is repainted. A private line is held
    there for a while (:meth:`hold`) instead of a toast over the panes.
    """

    #: A held sentence (:meth:`hold`) and what came meanwhile, shown when the hold ends.
    _held: Timer | None = None
    _waiting: tuple[str, bool] | None = None

    def show(self, text: str, *, error: bool = False) -> None:
        if self._held is not None and not error:
            self._waiting = (text, error)  # a private line stays until its time is up
            return
        self._show(text, error)

    def hold(self, text: str, seconds: float) -> None:
        """Show ``text`` and keep it for ``seconds`` against ordinary sentences (a problem
        still replaces it); the latest sentence that came meanwhile is shown after."""
        if self._held is not None:
            self._held.stop()
        self._show(text, False)
        self._held = self.set_timer(seconds, self._release)

    def _release(self) -> None:
        self._held = None
        if self._waiting is not None:
            text, error = self._waiting
            self._waiting = None
            self._show(text, error)

    def _show(self, text: str, error: bool) -> None:
        self.set_class(error, "-error")
        text = ("Problem: " + text) if error and not text.startswith("Problem") else text
        if getattr(self, "shown_text", None) != text:
            self.shown_text = text
            self.update(plain(text))
