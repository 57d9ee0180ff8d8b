"""The header line and the status line: the session's state in words.

The header says the group, the session, the phase with its elapsed whole
minutes, and the connection ("connected", "reconnecting in 3 s", "offline —
2 messages waiting"). It changes only when something happens (an event, a
connection change, a key press) — never on a per-second clock — so an idle
app writes nothing and a screen reader is not read a ticking timer.
"""

from __future__ import annotations

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
    chat line. Only a changed sentence is repainted.
    """

    _held = False  # a sentence that must stay a while is shown (see hold)
    _waiting: tuple[str, bool] | None = None  # the latest sentence said meanwhile

    def hold(self, text: str, seconds: float) -> None:
        """Show ``text`` for at least ``seconds`` (the slow-link hint at a join, which the
        notices of the same burst would otherwise replace at once): a sentence said meanwhile
        waits and the latest is shown after; a problem is shown at once."""
        self.show(text)
        self._held, self._waiting = True, None
        self.set_timer(seconds, self._release)

    def _release(self) -> None:
        self._held = False
        if self._waiting is not None:
            text, error = self._waiting
            self._waiting = None
            self.show(text, error=error)

    def show(self, text: str, *, error: bool = False) -> None:
        if self._held and not error:
            self._waiting = (text, error)
            return
        self._held = False
        self.set_class(error, "-error")
        text = ("Problem: " + text) if error and not text.startswith("Problem") else text
        if getattr(self, "shown_text", None) != text:
            self.shown_text = text
            self.update(plain(text))
