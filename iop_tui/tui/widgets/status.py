"""The header line and the status line: the session's state in words.

The header says the group, the session, the phase with its elapsed whole
minutes, and the connection ("connected", "reconnecting in 3 s", "offline —
2 messages waiting"). It changes only when something happens (an event, a
connection change, a key press) — never on a per-second clock — so an idle
app writes nothing and a screen reader is not read a ticking timer.
"""

from __future__ import annotations

from collections import deque

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from iop_tui.core import words
from iop_tui.tui.widgets.text import plain, set_text

#: Sentences the notices view (Ctrl+N) keeps, newest last.
HISTORY = 50
#: The status line's rows (``app.tcss``: its height never changes).
ROWS = 2


def fit_rows(text: str, width: int, rows: int = ROWS) -> str:
    """``text`` wrapped at ``width`` cells; past ``rows`` rows, cut at a word on the last row
    and ended with :data:`words.STATUS_CUT`, so the cut is said in words, never hidden."""
    if width <= 0:
        return text
    wrapped = [line.plain.rstrip() for line in Content(text).wrap(width)]
    if len(wrapped) <= rows:
        return text
    last = wrapped[rows - 1]
    room = width - cell_len(words.STATUS_CUT)
    while last and cell_len(last) > room:
        cut = last.rfind(" ")
        last = last[:cut].rstrip() if cut > 0 else last[: max(0, room)]
    return "\n".join([*wrapped[: rows - 1], f"{last}{words.STATUS_CUT}" if last else words.STATUS_CUT])

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
    A sentence longer than the two rows is cut at a word and ends with
    words saying so and the key that reads it whole (:func:`fit_rows`):
    Ctrl+N opens the notices view over :attr:`history`.
    """

    #: A held sentence (:meth:`hold`) and what came meanwhile, shown when the hold ends.
    _held: Timer | None = None
    _waiting: tuple[str, bool] | None = None
    #: The whole sentence shown now (what a cut status line stands for).
    shown_text = ""

    _history: deque[str] | None = None
    _fitted: tuple[str, int] | None = None  # (sentence, width) last drawn: only a change repaints

    @property
    def history(self) -> deque[str]:
        """The sentences shown, whole, newest last (the last :data:`HISTORY`): the notices view reads them (Ctrl+N)."""
        if self._history is None:
            self._history = deque(maxlen=HISTORY)
        return self._history

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
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        if self.shown_text != text:
            self.shown_text = text
            self._fit()

    def _fit(self) -> None:
        """Show the sentence in the two rows: whole when it fits, else cut with words saying so."""
        width = self.content_size.width  # 0 before the first layout: shown as it is, fitted on the first resize
        if self._fitted != (self.shown_text, width):
            self._fitted = (self.shown_text, width)
            self.update(plain(fit_rows(self.shown_text, width)))

    def on_resize(self, event: events.Resize) -> None:
        self._fit()  # a narrower terminal cuts sooner, a wider one later
